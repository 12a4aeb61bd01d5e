import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { HEARTBEAT_CODES, heartbeatFromEnv } from '../../infra/functions/heartbeat.ts';
import { HEARTBEAT_ENV, PROBE_DEFAULTS, type Probe, probeEnvironment } from '../../infra/functions/probe.ts';
import { METRIC_DIMENSION, METRIC_NAMESPACE } from '../../lambda/telemetry.ts';
import { startLocalApi } from '../../local/api-server.ts';
import { newCredentials } from '../../local/embedded.ts';
import { demo, setUp } from '../support/handler-harness.ts';

// The heartbeat's client talks to the local API Gateway on 127.0.0.1, which checks its SigV4 signature and runs
// the real handler against the Cashfree simulator and the Secrets Manager stand-in.
const ctx = await setUp();
const { upstreams } = ctx;
const handler = await ctx.loadHandler();
// The heartbeat signs with the credentials Lambda puts in its environment; locally, the ones loadHandler set.
const signer = {
  accessKeyId: String(process.env.AWS_ACCESS_KEY_ID),
  secretAccessKey: String(process.env.AWS_SECRET_ACCESS_KEY),
};
const region = String(process.env.AWS_REGION);
const gateway = await startLocalApi({ handler, iam: { region, credentials: signer } });
afterAll(() => gateway.close());

const FUNCTION_NAME = 'CryptogramService-staging-FunctionHandler';
const lines: string[] = [];
const beatWith = (probe: Probe = PROBE_DEFAULTS, env: Record<string, string> = {}) =>
  heartbeatFromEnv(
    {
      [HEARTBEAT_ENV.baseUrl]: gateway.url,
      [HEARTBEAT_ENV.functionName]: FUNCTION_NAME,
      AWS_REGION: region,
      ...probeEnvironment(probe),
      ...env,
    },
    (line) => lines.push(line),
  );
const lastLine = () => JSON.parse(lines.at(-1) ?? '{}') as Record<string, unknown>;

beforeEach(() => {
  lines.length = 0;
});

describe('the heartbeat', () => {
  it('succeeds when the whole chain answers the probe ids 404 instrument_not_found, and says so in one EMF line', async () => {
    const beat = await beatWith()();

    expect(beat).toMatchObject({ success: true, status: 404, code: 'instrument_not_found', attempts: 1 });
    expect(lines).toHaveLength(1);
    const line = lastLine();
    expect(line).toEqual({
      _aws: {
        Timestamp: expect.any(Number),
        CloudWatchMetrics: [
          {
            Namespace: METRIC_NAMESPACE,
            Dimensions: [[METRIC_DIMENSION]],
            Metrics: [
              { Name: 'HeartbeatSuccess', Unit: 'Count' },
              { Name: 'HeartbeatLatency', Unit: 'Milliseconds' },
            ],
          },
        ],
      },
      [METRIC_DIMENSION]: FUNCTION_NAME,
      HeartbeatSuccess: 1,
      HeartbeatLatency: expect.any(Number),
      status: 404,
      code: 'instrument_not_found',
      attempts: 1,
      requestId: expect.stringMatching(/^heartbeat-[0-9a-f-]{36}$/),
    });
    expect(line.HeartbeatLatency as number).toBeGreaterThanOrEqual(0);
    expect(line.HeartbeatLatency as number).toBeLessThan(5_000);
  });

  it('fails with upstream_auth_failed when Cashfree refuses the key pair in the secret', async () => {
    upstreams.cashfree.rotateCredentials(newCredentials());
    try {
      const fresh = await ctx.loadHandler();
      const refusedGateway = await startLocalApi({ handler: fresh, iam: { region, credentials: signer } });
      try {
        const beat = await beatWith(PROBE_DEFAULTS, { [HEARTBEAT_ENV.baseUrl]: refusedGateway.url })();
        expect(beat).toMatchObject({ success: false, status: 502, code: 'upstream_auth_failed' });
        expect(lastLine()).toMatchObject({ HeartbeatSuccess: 0, status: 502, code: 'upstream_auth_failed' });
      } finally {
        await refusedGateway.close();
      }
    } finally {
      upstreams.cashfree.rotateCredentials(upstreams.credentials);
    }
  });

  it('fails with the gateway’s refusal when its signature is not accepted, as after an IAM change', async () => {
    const original = process.env.AWS_SECRET_ACCESS_KEY;
    process.env.AWS_SECRET_ACCESS_KEY = 'not-the-key-the-gateway-knows-0000000000';
    try {
      const beat = await beatWith()();
      expect(beat).toMatchObject({ success: false, status: 403, code: 'invalid_signature', attempts: 1 });
    } finally {
      process.env.AWS_SECRET_ACCESS_KEY = original;
    }
  });

  it('fails with upstream_timeout when Cashfree does not answer in time', async () => {
    const beat = await beatWith({ ...PROBE_DEFAULTS, customerId: 'sim_slow' })();
    expect(beat).toMatchObject({ success: false, status: 504, code: 'upstream_timeout' });
  });

  it('fails when the probe ids name a real card, and writes nothing of it', async () => {
    const beat = await beatWith({ customerId: demo.customerId, instrumentId: demo.instrumentId, expected: 404 })();

    expect(beat).toMatchObject({ success: false, status: 200, code: HEARTBEAT_CODES.realCard });
    expect(upstreams.cashfree.issued.size).toBeGreaterThan(0);
    for (const issued of upstreams.cashfree.issued) expect(lines.join('\n')).not.toContain(issued);
  });

  it('succeeds on 400 upstream_bad_request where the environment expects 400', async () => {
    const beat = await beatWith({ ...PROBE_DEFAULTS, customerId: 'sim_400', expected: 400 })();
    expect(beat).toMatchObject({ success: true, status: 400, code: 'upstream_bad_request' });
  });

  it('fails every beat, with a code of its own, when its settings are missing', async () => {
    const beat = await beatWith(PROBE_DEFAULTS, { [HEARTBEAT_ENV.baseUrl]: '' })();
    expect(beat).toMatchObject({ success: false, status: undefined, code: HEARTBEAT_CODES.misconfigured });
    expect(lastLine()).toMatchObject({ HeartbeatSuccess: 0, code: HEARTBEAT_CODES.misconfigured });
  });
});
