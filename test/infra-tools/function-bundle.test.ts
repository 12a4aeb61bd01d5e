import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BuiltFunction, buildFunction } from '../../infra/function-bundling.ts';
import { DEMO_INSTRUMENTS } from '../../local/cashfree-simulator.ts';
import { type EmbeddedUpstreams, startEmbeddedUpstreams } from '../../local/embedded.ts';
import { readBody } from '../../local/http.ts';
import { cryptogramFunctionId, propertiesOf, synthesize } from '../infra/synth.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';

const [demo = { customerId: '', instrumentId: '' }] = DEMO_INSTRUMENTS;
const packageOf = (path: string) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1];

interface Recorded {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** A loopback hop in front of the Secrets Manager stand-in that keeps every request it passes on. */
async function recordingHop(target: string, recorded: Recorded[]): Promise<TestServer> {
  return startTestServer(async (req, res) => {
    const body = await readBody(req);
    const headers = Object.fromEntries(Object.entries(req.headers).map(([name, value]) => [name, String(value)]));
    recorded.push({ method: req.method ?? '', url: req.url ?? '', headers, body });
    const forward = request(`${target}${req.url}`, { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    forward.end(body);
  });
}

describe('the deployed bundle', () => {
  let built: BuiltFunction;
  let upstreams: EmbeddedUpstreams;

  beforeAll(async () => {
    built = await buildFunction(mkdtempSync(join(tmpdir(), 'function-bundle-')));
    upstreams = await startEmbeddedUpstreams();
  });
  afterAll(() => upstreams.close());

  it('is what cdk synth ships, byte for byte', () => {
    const { app, template } = synthesize('dev');
    const s3Key: string = propertiesOf(template, 'AWS::Lambda::Function', cryptogramFunctionId(template)).Code.S3Key;
    const asset = join(app.synth().directory, `asset.${s3Key.replace(/\.zip$/, '')}`, 'index.mjs');

    expect(readFileSync(asset).equals(readFileSync(built.file))).toBe(true);
  });

  it('holds the environment credential provider and no other provider or nested client', () => {
    const packages = new Set(
      Object.entries(built.output.inputs)
        .filter(([, input]) => input.bytesInOutput > 0)
        .map(([path]) => packageOf(path)),
    );

    const credentialPackages = [...packages].filter((name) =>
      /credential-provider|nested-clients|token-providers|client-sts|client-sso/.test(name ?? ''),
    );
    expect(credentialPackages).toEqual(['@aws-sdk/credential-provider-env']);
    for (const absent of [
      '@aws-sdk/credential-provider-node',
      '@aws-sdk/credential-provider-sso',
      '@aws-sdk/credential-provider-ini',
      '@aws-sdk/credential-provider-process',
      '@aws-sdk/credential-provider-web-identity',
      '@aws-sdk/credential-provider-login',
      '@aws-sdk/credential-provider-http',
      '@smithy/credential-provider-imds',
      '@aws-sdk/nested-clients',
      '@aws-sdk/token-providers',
    ]) {
      expect(packages.has(absent), absent).toBe(false);
    }
  });

  it('signs its Secrets Manager request with the credentials Lambda puts in the environment', async () => {
    const recorded: Recorded[] = [];
    const hop = await recordingHop(upstreams.secretsManager.url, recorded);
    const credentials = {
      accessKeyId: 'ASIAENVIRONMENTONLY01',
      secretAccessKey: 'environment-only-secret-access-key-000000',
      sessionToken: 'environment-only-session-token',
    };
    const region = 'ap-south-1';
    const home = mkdtempSync(join(tmpdir(), 'no-aws-config-'));

    const { stderr } = await promisify(execFile)(
      process.execPath,
      ['test/infra-tools/invoke-once.ts', built.file, demo.customerId, demo.instrumentId],
      {
        // Nothing of this machine's AWS setup: no profile, no config or credentials file, only the three variables.
        env: {
          PATH: process.env.PATH,
          HOME: home,
          ...upstreams.env,
          AWS_ENDPOINT_URL_SECRETS_MANAGER: hop.origin,
          AWS_REGION: region,
          AWS_ACCESS_KEY_ID: credentials.accessKeyId,
          AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
          AWS_SESSION_TOKEN: credentials.sessionToken,
        },
      },
    ).finally(() => hop.close());

    expect(stderr).toContain('status 200, undici not loaded');
    const [read] = recorded;
    if (!read) throw new Error('the bundle sent Secrets Manager nothing');
    expect(read.headers['x-amz-target']).toBe('secretsmanager.GetSecretValue');
    expect(read.headers['x-amz-security-token']).toBe(credentials.sessionToken);
    const authorization = /^AWS4-HMAC-SHA256 Credential=([^,]+), SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(
      read.headers.authorization ?? '',
    );
    expect(authorization?.[1]).toMatch(
      new RegExp(`^${credentials.accessKeyId}/\\d{8}/${region}/secretsmanager/aws4_request$`),
    );
    const signedHeaders = (authorization?.[2] ?? '').split(';');
    expect(signedHeaders).toContain('x-amz-security-token');

    // The signature recomputed with the SDK's own signer over what arrived: it matches only that secret key.
    const signer = new SignatureV4({
      service: 'secretsmanager',
      region,
      credentials: { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey },
      sha256: Sha256,
    });
    const { hostname } = hop.url();
    const amzDate = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(read.headers['x-amz-date'] ?? '');
    const [y, mo, d, h, mi, s] = (amzDate?.slice(1) ?? []).map(Number);
    const expected = await signer.sign(
      {
        method: read.method,
        protocol: 'http:',
        hostname,
        path: read.url,
        headers: Object.fromEntries(signedHeaders.map((name) => [name, read.headers[name] ?? ''])),
        body: read.body,
      },
      {
        signingDate: new Date(Date.UTC(y ?? 0, (mo ?? 1) - 1, d, h, mi, s)),
        signableHeaders: new Set(signedHeaders),
      },
    );
    expect(String(expected.headers.authorization)).toBe(read.headers.authorization);
  });
});
