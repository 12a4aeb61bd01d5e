import { request } from 'node:http';
import { connect } from 'node:net';

export interface RawRequest {
  method?: string;
  /** Sent exactly as written: no dot segment resolved, nothing encoded. */
  target: string;
  /** In order, duplicates kept, `Host` included: nothing is added but the body's `content-length`. */
  headers: readonly (readonly [string, string])[];
  body?: Buffer;
}

export interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One HTTP/1.1 request to 127.0.0.1:`port` with the target and headers exactly as given (fetch would fix them). */
export function sendRaw(port: number, raw: RawRequest): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: raw.method ?? 'GET',
        path: raw.target,
        // Node frames no body of a GET by itself.
        headers: [
          ...raw.headers,
          ...(raw.body ? [['content-length', String(raw.body.length)]] : []),
        ].flat() as string[],
        setHost: false,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
        );
      },
    );
    req.on('error', reject);
    req.end(raw.body);
  });
}

/**
 * Writes a request head and only `sendBytes` of the body it announces, then reads what comes back: an answer
 * that arrives proves the server answered without waiting for (or reading) the rest.
 */
export function sendHeadOnly(port: number, head: string, sendBytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.on('connect', () => {
      socket.write(head);
      socket.write(Buffer.alloc(sendBytes, 'a'));
    });
    socket.on('data', (chunk) => {
      answer += chunk.toString('latin1');
    });
    socket.on('error', () => resolve(answer));
    socket.on('close', () => resolve(answer));
    setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within 10 s: ${answer}`));
    }, 10_000).unref();
  });
}
