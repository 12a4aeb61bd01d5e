import type { IncomingMessage, ServerResponse } from 'node:http';
import { ENV } from '../lambda/config.ts';
import { DEMO_INSTRUMENTS } from './cashfree-simulator.ts';
import {
  type EmbeddedUpstreams,
  LOCAL_SECRET_ID,
  secretString,
  standInAwsEnv,
  startEmbeddedUpstreams,
} from './embedded.ts';
import { sendJson } from './http.ts';
import { type SecretsManagerMode, startSecretsManagerStandIn } from './secrets-manager-stand-in.ts';

// Three ways to run, picked from the environment (README, "Running locally"):
//   nothing set                                   -> Cashfree simulator + Secrets Manager stand-in
//   CASHFREE_CLIENT_ID + CASHFREE_CLIENT_SECRET   -> the real Cashfree sandbox, secret held by the stand-in
//   CASHFREE_SECRET_ID                            -> real Secrets Manager and real Cashfree (AWS credentials needed)
const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? '127.0.0.1';
const functionTimeoutMs = Number(process.env.FUNCTION_TIMEOUT_MS ?? 10_000);

let embedded: EmbeddedUpstreams | undefined;
let mode: string;
if (process.env[ENV.secretId]) {
  mode = 'real Secrets Manager and Cashfree';
} else if (process.env.CASHFREE_CLIENT_ID && process.env.CASHFREE_CLIENT_SECRET) {
  const secretsManager = await startSecretsManagerStandIn();
  const credentials = { clientId: process.env.CASHFREE_CLIENT_ID, clientSecret: process.env.CASHFREE_CLIENT_SECRET };
  secretsManager.setSecret(LOCAL_SECRET_ID, secretString(credentials));
  // The handler must read them from the stand-in, like it reads Secrets Manager when deployed.
  delete process.env.CASHFREE_CLIENT_ID;
  delete process.env.CASHFREE_CLIENT_SECRET;
  Object.assign(process.env, standInAwsEnv(secretsManager.url), { [ENV.secretId]: LOCAL_SECRET_ID });
  mode = `Cashfree ${process.env[ENV.environment] ?? 'sandbox'}, Secrets Manager stand-in`;
} else {
  embedded = await startEmbeddedUpstreams({ slowDelayMs: functionTimeoutMs + 5_000 });
  for (const [name, value] of Object.entries(embedded.env)) process.env[name] ??= value;
  mode = 'Cashfree simulator, Secrets Manager stand-in';
}

const SECRETS_MANAGER_MODES: readonly SecretsManagerMode[] = ['ok', 'throttled', 'internal_error', 'hang'];

// Fault switches for trying the service by hand; only in the embedded mode.
function control(req: IncomingMessage, res: ServerResponse) {
  if (!embedded || req.method !== 'POST') return sendJson(res, 404, { message: 'No such control', code: 'not_found' });
  const path = req.url ?? '';
  if (path === '/__local/rotate') {
    embedded.rotate();
    return sendJson(res, 200, { message: 'Cashfree now accepts only new credentials; the secret holds them' });
  }
  const smMode = path.replace('/__local/secrets-manager/', '') as SecretsManagerMode;
  if (path.startsWith('/__local/secrets-manager/') && SECRETS_MANAGER_MODES.includes(smMode)) {
    embedded.secretsManager.setMode(smMode);
    return sendJson(res, 200, { message: `Secrets Manager stand-in answers ${smMode}` });
  }
  sendJson(res, 404, { message: 'No such control', code: 'not_found' });
}

const { handler } = await import('../lambda/handler.ts');
const { startLocalApi } = await import('./api-server.ts');
const api = await startLocalApi({ handler, port, host, functionTimeoutMs, control });

const demo = DEMO_INSTRUMENTS[0];
process.stderr.write(
  `cryptogram-service ready on ${api.url} (${mode})\n` +
    `  curl -s ${api.url}/customers/${demo?.customerId}/instruments/${demo?.instrumentId}/cryptogram\n`,
);

const stop = async () => {
  await api.close();
  await embedded?.close();
  process.exit(0);
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
