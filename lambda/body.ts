import type { IncomingMessage } from 'node:http';
import type { Transform } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';

/** How reading a body ended. */
export interface BodySink {
  /**
   * The decoded text; or `undefined` when the body was left unread, and why: over the cap, or in an encoding
   * that is unknown or does not decode. The caller then drops the connection.
   */
  done(text: string | undefined, unread?: 'over_cap' | 'undecodable'): void;
  /** The stream failed (a reset, a premature close) before the body ended. */
  failed(error: unknown): void;
}

/**
 * Reads `response`'s body, decoded, up to `maxBytes`: refused at once by a larger `content-length`, and stopped
 * as soon as the decoded bytes pass the cap, so a huge or compressed body never sits in memory. Returns the
 * function that stops reading.
 */
export function readBody(
  response: IncomingMessage,
  headers: Readonly<Record<string, string>>,
  maxBytes: number,
  sink: BodySink,
): () => void {
  let stopped = false;
  let decoder: Transform | undefined;
  let chunks: Buffer[] = [];
  let bytes = 0;

  const stop = () => {
    stopped = true;
    decoder?.destroy();
  };
  const leaveUnread = (why: 'over_cap' | 'undecodable') => {
    if (stopped) return;
    stopped = true;
    chunks = [];
    sink.done(undefined, why);
  };
  const onChunk = (chunk: Buffer) => {
    if (stopped) return;
    bytes += chunk.length;
    if (bytes > maxBytes) return leaveUnread('over_cap');
    chunks.push(chunk);
  };
  const onEnd = () => {
    if (stopped) return;
    stopped = true;
    sink.done(
      chunks.length === 1 ? (chunks[0] as Buffer).toString('utf8') : Buffer.concat(chunks, bytes).toString('utf8'),
    );
  };

  response.on('error', (error: unknown) => {
    if (!stopped) sink.failed(error);
  });
  const declared = headers['content-length'];
  if (declared !== undefined && Number(declared) > maxBytes) {
    leaveUnread('over_cap');
    return stop;
  }
  const encoding = headers['content-encoding']?.trim().toLowerCase();
  if (encoding && encoding !== 'identity') {
    decoder = decoderFor(encoding);
    if (!decoder) {
      leaveUnread('undecodable');
      return stop;
    }
    // The status still stands (a 404 is a 404); an undecodable body is reported as an unread one.
    decoder.on('error', () => leaveUnread('undecodable'));
    decoder.on('data', onChunk);
    decoder.on('end', onEnd);
    response.pipe(decoder);
    return stop;
  }
  response.on('data', onChunk);
  response.on('end', onEnd);
  return stop;
}

function decoderFor(encoding: string): Transform | undefined {
  if (encoding === 'gzip' || encoding === 'x-gzip') return createGunzip();
  if (encoding === 'deflate') return createInflate();
  if (encoding === 'br') return createBrotliDecompress();
  return undefined;
}
