import { HttpError } from '../../lambda/errors.ts';

/** The `HttpError` a call rejects with; fails the test when it succeeds or rejects with anything else. */
export async function failure(promise: Promise<unknown>): Promise<HttpError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof HttpError) return error;
    throw error;
  }
  throw new Error('the call succeeded');
}
