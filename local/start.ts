import { ENV } from '../lambda/config.ts';
import { DEMO_INSTRUMENTS } from './cashfree-simulator.ts';
import { localControl } from './control.ts';
import {
  type EmbeddedUpstreams,
  LOCAL_SECRET_ID,
  secretString,
  standInAwsEnv,
  startEmbeddedUpstreams,
} from './embedded.ts';
import type { RunningServer } from './http.ts';
import { installLocalLog, type LocalLog, localLogFormat } from './log-format.ts';
import { REFERENCE_PAGE_PATH } from './reference-page.ts';
import { startSecretsManagerStandIn } from './secrets-manager-stand-in.ts';
import { type LocalIam, newLocalIamCredentials } from './sigv4.ts';

// Three ways to run, picked from the environment (README, "Running locally"):
//   nothing set                                   -> Cashfree simulator + Secrets Manager stand-in
//   CASHFREE_CLIENT_ID + CASHFREE_CLIENT_SECRET   -> the real Cashfree sandbox, secret held by the stand-in
//   CASHFREE_SECRET_ID                            -> real Secrets Manager and real Cashfree (AWS credentials needed)
// and two switches: LOCAL_AUTH=iam checks SigV4 signatures, LOCAL_LOG=json|pretty picks the log format.

/** One line saying what to do, no stack trace: these are setup mistakes, not bugs. */
function fail(message: string): never {
  process.stderr.write(`cryptogram-service: ${message}\n`);
  process.exit(1);
}

const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? '127.0.0.1';
const functionTimeoutMs = Number(process.env.FUNCTION_TIMEOUT_MS ?? 10_000);
if (!Number.isInteger(port) || port < 0 || port > 65_535) fail(`PORT must be a port number, not ${process.env.PORT}`);
if (!Number.isInteger(functionTimeoutMs) || functionTimeoutMs < 1000) {
  fail(`FUNCTION_TIMEOUT_MS must be a whole number of milliseconds, 1000 or more`);
}
const auth = process.env.LOCAL_AUTH ?? 'none';
if (auth !== 'iam' && auth !== 'none') fail(`LOCAL_AUTH must be iam or none, not ${JSON.stringify(auth)}`);
let logFormat: ReturnType<typeof localLogFormat>;
try {
  logFormat = localLogFormat(process.env.LOCAL_LOG, process.stdout.isTTY === true);
} catch (error) {
  fail((error as Error).message);
}

// `npm run dev` hands every restart the same key pair, so exported credentials keep working across restarts.
const iam: LocalIam | undefined =
  auth === 'iam'
    ? {
        region: process.env.AWS_REGION || 'us-east-1',
        credentials:
          process.env.LOCAL_IAM_ACCESS_KEY_ID && process.env.LOCAL_IAM_SECRET_ACCESS_KEY
            ? {
                accessKeyId: process.env.LOCAL_IAM_ACCESS_KEY_ID,
                secretAccessKey: process.env.LOCAL_IAM_SECRET_ACCESS_KEY,
              }
            : newLocalIamCredentials(),
      }
    : undefined;

let embedded: EmbeddedUpstreams | undefined;
let closeStandIn: (() => Promise<void>) | undefined;
let api: RunningServer | undefined;
let log: LocalLog | undefined;
let stopping = false;

const closeUpstreams = async () => {
  await Promise.all([embedded?.close(), closeStandIn?.()]);
};

async function stop(why: string) {
  // A second Ctrl-C means now.
  if (stopping) process.exit(1);
  stopping = true;
  process.stderr.write(`cryptogram-service: stopping (${why})\n`);
  // Closing drops open connections, a request waiting on `sim_slow` included; the backstop covers the rest.
  setTimeout(() => process.exit(1), 3000).unref();
  await api?.close();
  await closeUpstreams();
  log?.restore();
  process.exit(0);
}

// Before anything listens: a signal that came between the ready line and these handlers would kill the
// process without closing anything.
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
// If whatever started us dies without passing a signal on (npm killed with SIGKILL, a closed terminal), this
// process is re-parented: stop then too, instead of holding the port with nobody to stop it.
const parentPid = process.ppid;
setInterval(() => {
  if (process.ppid !== parentPid) void stop('the process that started it is gone');
}, 1000).unref();

let mode: string;
if (process.env[ENV.secretId]) {
  mode = 'real Secrets Manager and Cashfree';
} else if (process.env.CASHFREE_CLIENT_ID && process.env.CASHFREE_CLIENT_SECRET) {
  const secretsManager = await startSecretsManagerStandIn();
  closeStandIn = secretsManager.close;
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

let handler: typeof import('../lambda/handler.ts')['handler'];
try {
  ({ handler } = await import('../lambda/handler.ts'));
} catch (error) {
  await closeUpstreams();
  // The function's config reader names every bad variable in one message; its stack adds nothing.
  fail(`the function did not start: ${(error as Error).message}`);
}

log = installLocalLog(logFormat);
const { startLocalApi } = await import('./api-server.ts');
try {
  api = await startLocalApi({
    handler,
    port,
    host,
    functionTimeoutMs,
    control: localControl(embedded, mode),
    onAnswer: log.onAnswer,
    ...(iam && { iam }),
  });
} catch (error) {
  await closeUpstreams();
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') {
    fail(`port ${port} on ${host} is in use (another npm start?); pick another with PORT=${port + 1} npm start`);
  }
  if (code === 'EACCES' || code === 'EADDRNOTAVAIL')
    fail(`cannot listen on ${host}:${port} (${code}); set HOST or PORT`);
  throw error;
}

const demo = DEMO_INSTRUMENTS[0];
// Real Cashfree knows none of the simulator's demo cards, so the other modes show where the ids go instead.
const path = embedded
  ? `/customers/${demo?.customerId}/instruments/${demo?.instrumentId}/cryptogram`
  : '/customers/YOUR_CUSTOMER_ID/instruments/YOUR_INSTRUMENT_ID/cryptogram';
const lines = [`cryptogram-service ready on ${api.url} (${mode}; ${iam ? 'SigV4 required' : 'no signature check'})`];
if (iam) {
  const { accessKeyId, secretAccessKey } = iam.credentials;
  lines.push(
    `  export AWS_ACCESS_KEY_ID=${accessKeyId} AWS_SECRET_ACCESS_KEY=${secretAccessKey} AWS_REGION=${iam.region}`,
    `  curl -s --aws-sigv4 "aws:amz:${iam.region}:execute-api" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" ${api.url}${path}`,
  );
} else {
  lines.push(`  curl -s ${api.url}${path}`);
}
lines.push(
  `  API reference: ${api.url}${REFERENCE_PAGE_PATH}   triggers and controls: curl -s ${api.url}/__local`,
  `  logs: ${logFormat === 'pretty' ? 'one line per request (LOCAL_LOG=json for the JSON lines)' : 'JSON lines (LOCAL_LOG=pretty for one short line per request)'}`,
);
process.stderr.write(`${lines.join('\n')}\n`);
