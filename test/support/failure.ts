import { HttpError } from '../../lambda/errors.ts';

type ErrorClass<E> = abstract new (...args: never[]) => E;

/**
 * The error a call rejects with, which must be a `kind` (an `HttpError` unless told); fails the test when the
 * call succeeds or rejects with anything else.
 */
export function failure(promise: Promise<unknown>): Promise<HttpError>;
export function failure<E>(promise: Promise<unknown>, kind: ErrorClass<E>): Promise<E>;
export async function failure(promise: Promise<unknown>, kind: ErrorClass<unknown> = HttpError): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof kind) return error;
    throw error;
  }
  throw new Error('the call succeeded');
}
