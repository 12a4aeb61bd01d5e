import type { ClientRequest, IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { readBody } from './body.ts';
import type { ConnectionPool } from './connection-pool.ts';

export interface TransportRequest {
  /** `https:`, or `http:` on loopback only (the configuration enforces that, not the transport). */
  url: URL;
  headers: Record<string, string>;
  /** The whole exchange: connect, TLS, headers and body, and the one fresh-connection retry. */
  timeoutMs: number;
  /** Cap on the decoded body; a longer body is not read (see `bodyTruncated`). */
  maxBodyBytes: number;
}

export type TransportResult =
  | {
      kind: 'response';
      status: number;
      /** Lower-case names, repeated values joined with `, `; a null-prototype record. */
      headers: Record<string, string>;
      /** UTF-8 text of the decoded body; empty for a 3xx, an over-cap body or one that could not be decoded. */
      body: string;
      /** The body was over `maxBodyBytes` (by `content-length` or once decoded) and was left unread. */
      bodyTruncated: boolean;
      /** The body's content-encoding was unknown or did not decode: the status stands, the body is lost. */
      bodyUndecodable: boolean;
      freshConnectionRetry: boolean;
    }
  | {
      kind: 'timeout';
      /** Some byte of an answer had arrived (even a partial status line or a 1xx): the server had the request. */
      answered: boolean;
      freshConnectionRetry: boolean;
    }
  | {
      kind: 'network';
      /** The error's code only: Node's messages can quote request headers, and so the secret. */
      code: string | undefined;
      /** TLS certificate verification failed: not transient, not worth retrying. */
      certificate: boolean;
      /** Some byte of an answer had arrived before the failure: the server had the request. */
      answered: boolean;
      freshConnectionRetry: boolean;
    }
  /** More than {@link MAX_INFORMATIONAL_ANSWERS} 1xx answers to one request: a server stalling, or hostile. */
  | { kind: 'informational_flood'; freshConnectionRetry: boolean };

/**
 * 1xx answers one request may get before the exchange is dropped: 100 Continue and 103 Early Hints are
 * legitimate, a handful is plenty, and an endless stream of 102 Processing would otherwise pin the CPU until
 * the deadline (and past it, as the event loop falls behind).
 */
export const MAX_INFORMATIONAL_ANSWERS = 5;

const CERTIFICATE_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
  'INVALID_CA',
  'INVALID_PURPOSE',
  'PATH_LENGTH_EXCEEDED',
  'HOSTNAME_MISMATCH',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_TLS_CERT_ALTNAME_FORMAT',
]);

/** The shape of Node's own error codes (`ECONNRESET`, `ERR_TLS_CERT_ALTNAME_INVALID`); anything else is dropped. */
const NODE_ERROR_CODE = /^[A-Z][A-Z0-9_]{0,63}$/;

/**
 * One request on `pool`, with at most one resend on a new connection, under one timer; `settle` is called
 * exactly once and nothing is thrown.
 */
export function exchange(pool: ConnectionPool, request: TransportRequest, settle: (result: TransportResult) => void) {
  let settled = false;
  let resent = false;
  let answered = false;
  let informational = 0;
  let current: ClientRequest | undefined;
  // The socket the current request went out on, watched for the first byte of an answer (see markAnswered).
  let watched: Duplex | undefined;
  let stopReading: (() => void) | undefined;
  const timer = setTimeout(onTimeout, request.timeoutMs);

  function finish(result: TransportResult) {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    unwatch();
    settle(result);
  }

  // Any byte from the server, even a partial status line or a 1xx, means Cashfree got the request: from then on
  // a failure is not a stale connection, and resending could issue a second single-use cryptogram.
  function markAnswered() {
    answered = true;
    unwatch();
  }

  function watch(socket: Duplex) {
    unwatch();
    watched = socket;
    socket.once('data', markAnswered);
  }

  function unwatch() {
    watched?.off('data', markAnswered);
    watched = undefined;
  }

  // Destroying the request destroys its socket: a half-read response must never go back to the pool.
  function abandon() {
    stopReading?.();
    current?.destroy();
  }

  function onTimeout() {
    finish({ kind: 'timeout', answered, freshConnectionRetry: resent });
    abandon();
  }

  function send() {
    try {
      current = pool.request(request.url, request.headers);
    } catch (error) {
      // Invalid header values throw synchronously; the promise must still resolve.
      finish(networkResult(error, false, resent));
      return;
    }
    current.on('socket', watch);
    current.on('information', onInformation);
    current.on('response', onResponse);
    current.on('error', onRequestError);
    current.end();
  }

  function onRequestError(this: ClientRequest, error: unknown) {
    // Late errors (after a timeout, an over-cap abandon or from the replaced request) carry no news.
    if (settled || this !== current) return;
    if (!resent && !answered && pool.wasDroppedWhileIdle(this, nodeErrorCode(error))) {
      resent = true;
      // Siblings of a dropped idle connection were most likely dropped too (a freeze, a NAT timeout).
      pool.forget(request.url);
      send();
      return;
    }
    finish(networkResult(error, answered, resent));
  }

  function onInformation(this: ClientRequest) {
    if (settled || this !== current) return;
    markAnswered();
    if (++informational <= MAX_INFORMATIONAL_ANSWERS) return;
    finish({ kind: 'informational_flood', freshConnectionRetry: resent });
    abandon();
  }

  function onResponse(this: ClientRequest, response: IncomingMessage) {
    if (settled || this !== current) return;
    markAnswered();
    const status = response.statusCode ?? 0;
    const headers = flattenHeaders(response.rawHeaders);
    const respond = (body: string, bodyTruncated: boolean, bodyUndecodable: boolean) =>
      finish({ kind: 'response', status, headers, body, bodyTruncated, bodyUndecodable, freshConnectionRetry: resent });

    // Never followed, and the body is of no use: close before a redirect body costs anything.
    if (status >= 300 && status < 400) {
      respond('', false, false);
      abandon();
      return;
    }
    stopReading = readBody(response, headers, request.maxBodyBytes, {
      done(text, unread) {
        if (text !== undefined) return respond(text, false, false);
        respond('', unread === 'over_cap', unread === 'undecodable');
        abandon();
      },
      failed: (error) => finish(networkResult(error, true, resent)),
    });
  }

  send();
}

/** Lower-case names, repeats joined with `, `, from the raw list so no repeated header is silently dropped. */
function flattenHeaders(raw: string[]): Record<string, string> {
  const headers: Record<string, string> = Object.create(null);
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = (raw[i] as string).toLowerCase();
    const value = raw[i + 1] as string;
    const seen = headers[name];
    headers[name] = seen === undefined ? value : `${seen}, ${value}`;
  }
  return headers;
}

function networkResult(error: unknown, answered: boolean, freshConnectionRetry: boolean): TransportResult {
  const code = nodeErrorCode(error);
  const certificate = code !== undefined && (CERTIFICATE_CODES.has(code) || code.startsWith('CERT_'));
  return { kind: 'network', code, certificate, answered, freshConnectionRetry };
}

/** Node's error code of `error` when it has that shape; never the message, which can quote request headers. */
function nodeErrorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && NODE_ERROR_CODE.test(code) ? code : undefined;
}
