import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/**
 * Writes `chunk` again and again, only as fast as the client reads, until `totalBytes` are sent (then ends the
 * answer) or the client hangs up; never more than one chunk in memory. The count says how much left the server.
 */
export function streamLazily(
  response: ServerResponse,
  chunk: Buffer,
  totalBytes = Number.POSITIVE_INFINITY,
): { bytes: number } {
  const sent = { bytes: 0 };
  const pump = () => {
    while (!response.destroyed && sent.bytes < totalBytes) {
      sent.bytes += chunk.length;
      if (!response.write(chunk)) return void response.once('drain', pump);
    }
    if (!response.destroyed) response.end();
  };
  response.on('error', () => {});
  pump();
  return sent;
}

/** Writes `bytes` straight to the connection, then resets it a moment later: an answer cut off mid-way. */
export function writeThenReset(socket: Socket, bytes: string): void {
  socket.write(bytes);
  setTimeout(() => socket.resetAndDestroy(), 20);
}
