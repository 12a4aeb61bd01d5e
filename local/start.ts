import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { ConfigError, ENV } from '../lambda/config.ts';
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
import { exitWithSetupError as fail } from './setup-error.ts';
import { type LocalIam, newLocalIamCredentials } from './sigv4.ts';

// Three ways to run, picked from the environment (README, "Running locally"):
//   nothing set                                   -> Cashfree simulator + Secrets Manager stand-in
//   CASHFREE_CLIENT_ID + CASHFREE_CLIENT_SECRET   -> the real Cashfree sandbox, secret held by the stand-in
//   CASHFREE_SECRET_ID                            -> real Secrets Manager and real Cashfree (AWS credentials needed)
// and two switches: LOCAL_AUTH=iam checks SigV4 signatures, LOCAL_LOG=json|pretty picks the log format.

// Every setup mistake below ends the start with one line on stderr (README, "Running locally"); an empty
// setting counts as unset, as a shell's `PORT= npm start` means.
const setting = (name: string) => process.env[name] || undefined;

const portSetting = setting('PORT') ?? '3000';
const port = Number(portSetting);
if (!/^\d{1,5}$/.test(portSetting) || port > 65_535) {
  fail(`PORT must be a port number from 0 to 65535 (0 picks a free one), not ${JSON.stringify(portSetting)}`);
}
const host = setting('HOST') ?? '127.0.0.1';
const timeoutSetting = setting('FUNCTION_TIMEOUT_MS') ?? '10000';
const functionTimeoutMs = Number(timeoutSetting);
if (!/^\d+$/.test(timeoutSetting) || functionTimeoutMs < 1000) {
  fail(
    `FUNCTION_TIMEOUT_MS must be a whole number of milliseconds, 1000 or more, not ${JSON.stringify(timeoutSetting)}`,
  );
}
const auth = setting('LOCAL_AUTH') ?? 'none';
if (auth !== 'iam' && auth !== 'none') fail(`LOCAL_AUTH must be iam or none, not ${JSON.stringify(auth)}`);
let logFormat: ReturnType<typeof localLogFormat>;
try {
  logFormat = localLogFormat(setting('LOCAL_LOG'), process.stdout.isTTY === true);
} catch (error) {
  fail((error as Error).message);
}
const [fixedKeyId, fixedSecretKey] = [setting('LOCAL_IAM_ACCESS_KEY_ID'), setting('LOCAL_IAM_SECRET_ACCESS_KEY')];
if ((fixedKeyId === undefined) !== (fixedSecretKey === undefined)) {
  fail('LOCAL_IAM_ACCESS_KEY_ID and LOCAL_IAM_SECRET_ACCESS_KEY go together: set both or neither');
}
// A name that does not resolve would otherwise surface only once everything else has started.
if (isIP(host) === 0) {
  await lookup(host).catch((error: NodeJS.ErrnoException) =>
    fail(
      `HOST ${JSON.stringify(host)} is neither an address nor a name this machine resolves (${error.code}); ` +
        'set HOST to one of its addresses, such as 127.0.0.1',
    ),
  );
}
/** How the person ran it, so the advice in a message can be pasted back. */
const command = process.env.npm_lifecycle_event === 'dev' ? 'npm run dev' : 'npm start';

// `npm run dev` hands every restart the same key pair, so exported credentials keep working across restarts.
const iam: LocalIam | undefined =
  auth === 'iam'
    ? {
        region: process.env.AWS_REGION || 'us-east-1',
        credentials:
          fixedKeyId && fixedSecretKey
            ? { accessKeyId: fixedKeyId, secretAccessKey: fixedSecretKey }
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
  // The function's config reader names every bad variable in one message; its stack adds nothing. Any
  // other failure is a bug in the code, and its stack is what the developer needs.
  if (error instanceof ConfigError) fail(`the function did not start: ${error.message}`);
  throw error;
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
    fail(`port ${port} on ${host} is in use (another ${command}?); pick another with PORT=${port + 1} ${command}`);
  }
  if (code === 'EACCES') fail(`cannot listen on ${host}:${port} (EACCES: ports below 1024 need root); set PORT`);
  if (code) fail(`cannot listen on ${host}:${port} (${code}): set HOST to an address of this machine, or PORT`);
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
