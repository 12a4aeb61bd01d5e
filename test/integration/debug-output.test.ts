import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_SECRET_ID, newCredentials, secretString, standInAwsEnv } from '../../local/embedded.ts';
import { type SecretsManagerStandIn, startSecretsManagerStandIn } from '../../local/secrets-manager-stand-in.ts';
import { cryptogramAnswer } from '../support/cashfree-answers.ts';
import { sendJson, startTestServer, type TestServer } from '../support/test-server.ts';
import { createThrowawayCa, type ThrowawayCa } from '../support/throwaway-ca.ts';

// Node's debug output (NODE_DEBUG) prints the options of every connection an Agent opens; an engineer chasing a
// TLS problem in production would turn it on. Each case runs the real handler in a process of its own, as a
// Lambda execution environment, over TLS and plain HTTP, through every path that opens a connection: the
// preconnect at init, its first request, a reused connection and a resend after a dropped one.
const CHILD = fileURLToPath(new URL('../support/handler-child.ts', import.meta.url));
const CALLS = 3;
const run = promisify(execFile);
const keys = newCredentials();
const INSTRUMENT_ID = '54deabb4-ba45-4a60-9e6a-9c016fe7ab10';

let ca: ThrowawayCa;
let secretsManager: SecretsManagerStandIn;
const cashfree: Partial<Record<'https' | 'http', TestServer>> = {};

beforeAll(async () => {
  ca = createThrowawayCa();
  secretsManager = await startSecretsManagerStandIn();
  secretsManager.setSecret(LOCAL_SECRET_ID, secretString(keys));
  // The third request on a connection meets a connection the peer dropped: the function sends it again on a
  // new one, which the Agent opens itself.
  const answer = (tls?: ReturnType<ThrowawayCa['issue']>) =>
    startTestServer(
      (req, res, received) => {
        if (received.onConnection === 3) return req.socket.destroy();
        sendJson(res, 200, cryptogramAnswer(INSTRUMENT_ID));
      },
      tls ? { tls } : {},
    );
  cashfree.https = await answer(ca.issue());
  cashfree.http = await answer();
});

afterAll(async () => {
  await Promise.all([secretsManager.close(), cashfree.https?.close(), cashfree.http?.close()]);
  ca.dispose();
});

/** Every value, in plain text and as util.inspect prints a Buffer's bytes, that must never reach the output. */
function forms(value: string): string[] {
  const hex = [...Buffer.from(value)].map((byte) => byte.toString(16).padStart(2, '0'));
  return [value, hex.join(' '), hex.join('')];
}

async function runHandler(protocol: 'https' | 'http', nodeDebug: string) {
  const server = cashfree[protocol];
  if (!server) throw new Error('no server');
  const { stdout, stderr } = await run(process.execPath, [CHILD], {
    timeout: 30_000,
    maxBuffer: 64 * 1024 * 1024,
    env: {
      PATH: process.env.PATH,
      NODE_DEBUG: nodeDebug,
      NODE_EXTRA_CA_CERTS: ca.certPath,
      HANDLER_CHILD_CALLS: String(CALLS),
      CASHFREE_SECRET_ID: LOCAL_SECRET_ID,
      CASHFREE_BASE_URL: `${server.origin}/pg`,
      ...standInAwsEnv(secretsManager.url),
    },
  });
  return { stdout, stderr, requests: server.requests.length };
}

// Which debug sections a run prints: `https` and `tls` have nothing to say about a plain-HTTP run.
const CASES = [
  ['https', 'http', /^HTTP \d+:/m],
  ['https', 'https', /^HTTPS \d+:/m],
  ['https', 'net', /^NET \d+:/m],
  ['https', 'tls', /^TLS \d+:/m],
  ['https', '*', /^HTTPS \d+:/m],
  ['https', 'http,https,net,tls', /^TLS \d+:/m],
  ['https', 'stream,http2,https', /^HTTPS \d+:/m],
  ['http', 'http', /^HTTP \d+:/m],
  ['http', 'net', /^NET \d+:/m],
  ['http', '*', /^NET \d+:/m],
  ['http', 'http,https,net,tls', /^HTTP \d+:/m],
  ['http', 'https,tls', null],
] as const;

describe.concurrent('NODE_DEBUG', () => {
  it.each(CASES)(
    'over %s with NODE_DEBUG=%s prints neither the client id nor the secret',
    async (protocol, value, printed) => {
      // Act
      const { stdout, stderr } = await runHandler(protocol, value);

      // Assess: the calls went through every connection path, and the debug output is there to be read.
      expect(stdout).toContain(`statuses ${Array(CALLS).fill(200).join(',')}`);
      if (printed) expect(stderr).toMatch(printed);
      const output = `${stdout}\n${stderr}`;
      for (const sensitive of [...forms(keys.clientId), ...forms(keys.clientSecret)]) {
        expect(output.includes(sensitive), `NODE_DEBUG=${value} output carries the key pair`).toBe(false);
      }
    },
  );
});
