import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GATEWAY_REFUSALS } from '../../api/gateway-responses.ts';
import { DEMO_INSTRUMENTS, FAULTS } from '../../local/cashfree-simulator.ts';
import { signedFetch } from '../local/sign.ts';
import { runToEnd, type SpawnedService, spawnService } from '../local/spawn-service.ts';
import { skipWhen } from '../setup/skips.ts';
import { deadPort, portIsFree } from '../support/test-server.ts';

// `npm start` as a newcomer runs it: a separate process through the same Node check, no configuration.
const START = ['local/node-check.cjs', 'local/start.ts'];
let service: SpawnedService;

beforeAll(async () => {
  service = await spawnService(process.execPath, START, { PORT: '0' });
});

afterAll(async () => {
  await service.stop();
});

const demo = DEMO_INSTRUMENTS[0];
const demoPath = `/customers/${demo?.customerId}/instruments/${demo?.instrumentId}/cryptogram`;

describe('npm start with no configuration', () => {
  it('serves a cryptogram for the demo card to a plain HTTP GET', async () => {
    const response = await fetch(`${service.url}${demoPath}`);
    const body = (await response.json()) as Record<string, unknown>;

    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(body.card_number).toBe(demo?.tokenPan);
    expect(body.cryptogram).toEqual(expect.any(String));
  });

  it('plays a Cashfree fault chosen by a sim_ customer id', async () => {
    const response = await fetch(`${service.url}/customers/sim_500/instruments/any/cryptogram`);

    expect(response.status).toBe(502);
    expect(await response.json()).toEqual({ message: 'Cashfree is unavailable', code: 'upstream_unavailable' });
  });

  it('has a trigger for Cashfree 403 and 502, which used to answer 404', async () => {
    const forbidden = await fetch(`${service.url}/customers/sim_403/instruments/any/cryptogram`);
    const badGateway = await fetch(`${service.url}/customers/sim_502/instruments/any/cryptogram`);

    expect(((await forbidden.json()) as { code: string }).code).toBe('upstream_auth_failed');
    expect(((await badGateway.json()) as { code: string }).code).toBe('upstream_unavailable');
  });

  it('lists every simulator trigger and every control at GET /__local', async () => {
    const response = await fetch(`${service.url}/__local`);
    const index = (await response.json()) as {
      triggers: { customerId: string; description: string }[];
      controls: { method: string; path: string; does: string }[];
    };

    expect(response.status).toBe(200);
    expect(index.triggers.map((trigger) => trigger.customerId).sort()).toEqual(
      Object.keys(FAULTS)
        .map((fault) => `sim_${fault}`)
        .sort(),
    );
    expect(index.controls.map((control) => control.path)).toEqual(
      expect.arrayContaining(['/__local/rotate', '/__local/rate-limit/reset', '/__local/secrets-manager/throttled']),
    );
    for (const control of index.controls) expect(control.does).not.toBe('');
  });

  it('says what a control did, and keeps serving after the local credentials are rotated', async () => {
    const rotated = await fetch(`${service.url}/__local/rotate`, { method: 'POST' });
    const response = await fetch(`${service.url}${demoPath}`);

    expect(rotated.status).toBe(200);
    expect(((await rotated.json()) as { message: string }).message).toMatch(/new credentials/);
    expect(response.status).toBe(200);
  });

  it("resets the simulator's rate limit on request", async () => {
    const reset = await fetch(`${service.url}/__local/rate-limit/reset`, { method: 'POST' });

    expect(reset.status).toBe(200);
    expect(((await reset.json()) as { message: string }).message).toMatch(/rate-limit window/);
  });

  it('answers a path the API does not have as API Gateway does', async () => {
    const response = await fetch(`${service.url}/customers/x/cryptogram`);

    expect(response.status).toBe(403);
    expect(response.headers.get('x-request-id')).toBeNull();
    expect(await response.json()).toEqual({
      message: GATEWAY_REFUSALS.missingAuthenticationToken.message,
      code: GATEWAY_REFUSALS.missingAuthenticationToken.code,
      requestId: response.headers.get('x-amzn-requestid'),
    });
  });

  it('logs each request as a JSON line without card data when stdout is not a terminal', async () => {
    const response = await fetch(`${service.url}${demoPath}`);
    const { cryptogram } = (await response.json()) as { cryptogram: string };
    const requestId = response.headers.get('x-request-id') ?? '';
    await expect.poll(() => service.stdout().includes(requestId)).toBe(true);

    const lines = service.stdout().trim().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(4);
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
    expect(service.stdout()).not.toContain(demo?.tokenPan);
    expect(service.stdout()).not.toContain(cryptogram);
  });

  it('serves the OpenAPI document and its reference page', async () => {
    const document = await fetch(`${service.url}/__local/openapi.yaml`);
    const page = await fetch(`${service.url}/__local/docs`);

    expect(document.status).toBe(200);
    const text = await document.text();
    expect(text).toMatch(/^openapi: 3\.1/m);
    // This server first, so the page's "Try it out" calls it.
    expect(text).toMatch(new RegExp(`^servers:\\n  - url: ${service.url}\\n`, 'm'));
    expect(await page.text()).toContain('/__local/docs/swagger-ui-bundle.js');
  });
});

describe('npm start with LOCAL_AUTH=iam', () => {
  let signed: SpawnedService;

  beforeAll(async () => {
    signed = await spawnService(process.execPath, START, { PORT: '0', LOCAL_AUTH: 'iam', AWS_REGION: 'eu-central-1' });
  });

  afterAll(async () => {
    await signed.stop();
  });

  it('prints local credentials that sign a request it accepts, and refuses the same request unsigned', async () => {
    const exported = /export AWS_ACCESS_KEY_ID=(\S+) AWS_SECRET_ACCESS_KEY=(\S+) AWS_REGION=(\S+)/.exec(
      signed.stderr(),
    );
    expect(exported).not.toBeNull();
    const [, accessKeyId = '', secretAccessKey = '', region = ''] = exported ?? [];
    expect(signed.stderr()).toContain(`curl -s --aws-sigv4 "aws:amz:${region}:execute-api"`);

    const accepted = await signedFetch(`${signed.url}${demoPath}`, {
      region,
      credentials: { accessKeyId, secretAccessKey },
    });
    const refused = await fetch(`${signed.url}${demoPath}`);

    expect(region).toBe('eu-central-1');
    expect(accepted.status).toBe(200);
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { code: string }).code).toBe('missing_authentication_token');
  });
});

const noCurl = existsSync('/usr/bin/curl')
  ? undefined
  : { reason: 'no curl at /usr/bin/curl', enable: 'apt-get install curl (7.75 or newer)' };
describe('the signed curl line npm start prints (curl 7.75+)', skipWhen(noCurl), () => {
  it('works as printed, pasted into a shell after the export line', async () => {
    const signed = await spawnService(process.execPath, START, { PORT: '0', LOCAL_AUTH: 'iam' });
    try {
      const printed = signed
        .stderr()
        .split('\n')
        .map((line) => line.trim())
        .filter((line) => line.startsWith('export AWS_') || line.startsWith('curl -s --aws-sigv4'));
      expect(printed).toHaveLength(2);

      const { code, stdout } = await runToEnd('/bin/sh', ['-c', printed.join('\n')], {});

      expect(code).toBe(0);
      expect(JSON.parse(stdout)).toMatchObject({ card_number: demo?.tokenPan });
    } finally {
      await signed.stop();
    }
  });
});

describe('npm start against the Cashfree sandbox', () => {
  it("shows where the ids go instead of the simulator's demo cards, and never prints the client secret", async () => {
    const secret = 'cfsk_ma_test_never_printed';
    const sandbox = await spawnService(process.execPath, START, {
      PORT: '0',
      CASHFREE_CLIENT_ID: 'TEST-local-id',
      CASHFREE_CLIENT_SECRET: secret,
      // Loopback, so no test ever reaches for the internet; nothing listens there.
      CASHFREE_BASE_URL: 'http://127.0.0.1:9/pg',
    });
    try {
      expect(sandbox.stderr()).toContain('/customers/YOUR_CUSTOMER_ID/instruments/YOUR_INSTRUMENT_ID/cryptogram');
      expect(sandbox.stderr()).not.toContain(demo?.customerId);
      expect(sandbox.stderr()).not.toContain(secret);
    } finally {
      await sandbox.stop();
    }
  });
});

describe('a first run that goes wrong', () => {
  const oneLine = (stderr: string) => stderr.trim().split('\n');

  it('says in one line which port is busy and how to pick another', async () => {
    const port = new URL(service.url).port;
    const { code, stderr } = await runToEnd(process.execPath, START, { PORT: port });

    expect(code).toBe(2);
    expect(oneLine(stderr)).toEqual([expect.stringMatching(new RegExp(`port ${port} .*in use.*PORT=`))]);
  });

  it('says in one line that Node 24 is needed, and how to get it, when npm runs an older Node', async () => {
    const { code, stderr } = await runToEnd(
      process.execPath,
      ['--require', './test/local/pretend-node-20.cjs', ...START],
      {
        PORT: '0',
      },
    );

    expect(code).toBe(2);
    expect(oneLine(stderr)).toEqual([expect.stringMatching(/needs Node 24 .*npm install/)]);
  });

  const mistakes: { setting: Record<string, string>; says: RegExp }[] = [
    { setting: { HOST: 'nosuchhost.invalid' }, says: /HOST "nosuchhost\.invalid" is neither an address nor a name/ },
    // TEST-NET-1 (RFC 5737): an address no machine here has.
    { setting: { HOST: '192.0.2.1' }, says: /cannot listen on 192\.0\.2\.1:0 \(EADDRNOTAVAIL\)/ },
    { setting: { PORT: 'http' }, says: /PORT must be a port number from 0 to 65535 .*not "http"/ },
    { setting: { PORT: '70000' }, says: /PORT must be a port number from 0 to 65535/ },
    { setting: { PORT: '-1' }, says: /PORT must be a port number from 0 to 65535/ },
    { setting: { LOCAL_AUTH: 'sigv4' }, says: /LOCAL_AUTH must be iam or none, not "sigv4"/ },
    { setting: { LOCAL_LOG: 'verbose' }, says: /LOCAL_LOG must be json or pretty/ },
    { setting: { FUNCTION_TIMEOUT_MS: '10s' }, says: /FUNCTION_TIMEOUT_MS must be a whole number of milliseconds/ },
    { setting: { LOCAL_IAM_ACCESS_KEY_ID: 'AKIAONLYHALF' }, says: /set both or neither/ },
    { setting: { CASHFREE_ENVIRONMENT: 'prodution' }, says: /the function did not start: .*CASHFREE_ENVIRONMENT/ },
    { setting: { REQUEST_BUDGET_MS: 'soon' }, says: /the function did not start: .*REQUEST_BUDGET_MS/ },
  ];

  it.each(mistakes)(
    'names $setting in one line, without a stack trace, instead of starting',
    async ({ setting, says }) => {
      const { code, stderr } = await runToEnd(process.execPath, START, { PORT: '0', ...setting });

      expect(code).toBe(2);
      expect(oneLine(stderr)).toEqual([expect.stringMatching(says)]);
      expect(stderr).not.toMatch(/^\s+at /m);
    },
  );
});

describe('stopping', () => {
  // Through npm itself, as a person runs it: npm's SIGTERM must reach the server, not orphan it.
  for (const script of ['start', 'dev']) {
    it(`npm run ${script} frees its port when npm gets SIGTERM`, async () => {
      const port = await deadPort();
      const running = await spawnService('npm', ['run', script, '--silent'], { PORT: String(port) });
      expect(await portIsFree(port)).toBe(false);

      await running.stop('SIGTERM');

      await expect.poll(() => portIsFree(port), { timeout: 5000, interval: 100 }).toBe(true);
      // The signal itself, not the orphan backstop below, stopped it.
      await expect.poll(() => running.stderr(), { timeout: 2000 }).toContain('stopping (SIGTERM)');
    });
  }

  it('stops when whatever started it dies without passing a signal on', async () => {
    const port = await deadPort();
    const running = await spawnService('npm', ['start', '--silent'], { PORT: String(port) });

    await running.stop('SIGKILL');

    await expect.poll(() => portIsFree(port), { timeout: 5000, interval: 100 }).toBe(true);
    await expect
      .poll(() => running.stderr(), { timeout: 2000 })
      .toContain('stopping (the process that started it is gone)');
  });
});
