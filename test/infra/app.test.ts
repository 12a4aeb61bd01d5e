import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import cdkJson from '../../cdk.json' with { type: 'json' };
import { buildApp } from '../../infra/app.ts';
import { isCdkContextKey } from '../../infra/context.ts';
import { ENVIRONMENTS } from '../../infra/environments.ts';
import { SettingsError } from '../../infra/settings.ts';
import { synthesize } from './synth.ts';

const ROOT = join(import.meta.dirname, '../..');
const build = (context: Record<string, unknown>, credentialsAccount?: string) => () =>
  buildApp({ context: { ...cdkJson.context, ...context }, credentialsAccount });
// Only the shape of the app matters to these tests, not its code: no function is bundled.
const NO_BUNDLING = { 'aws:cdk:bundling-stacks': [] };
const PROD_ACCOUNT = ENVIRONMENTS.prod.account;

function runApp(context: Record<string, unknown>, env: Record<string, string> = {}) {
  const node = process.execPath;
  return spawnSync(node, ['infra/app.ts'], {
    cwd: ROOT,
    encoding: 'utf8',
    env: {
      ...process.env,
      PATH: `${dirname(node)}:${process.env.PATH}`,
      CDK_CONTEXT_JSON: JSON.stringify(context),
      ...env,
    },
  });
}

describe('choosing an environment', () => {
  it('builds dev, unpinned, when nothing is selected', () => {
    const { stack } = buildApp({ context: cdkJson.context });
    expect(stack.stackName).toBe('CryptogramService-dev');
    expect(stack.account).toMatch(/^\$\{Token/);
  });

  it.each(['staging', 'prod'] as const)(
    'builds %s pinned to its account and region, under a stack id of its own',
    (name) => {
      const { stack } = synthesize(name);
      expect(stack.stackName).toBe(`CryptogramService-${name}`);
      expect({ account: stack.account, region: stack.region }).toEqual({
        account: ENVIRONMENTS[name].account,
        region: ENVIRONMENTS[name].region,
      });
    },
  );

  it('builds the same template twice for the same environment, so a second deploy changes nothing', () => {
    const first = JSON.stringify(synthesize('prod').template.toJSON());
    expect(JSON.stringify(synthesize('prod').template.toJSON())).toBe(first);
  });
});

describe('context typed at deploy time', () => {
  it('refuses an unknown environment with the closest name', () => {
    expect(build({ env: 'prd' })).toThrow(
      /-c env=prd: no such environment \(did you mean prod\?\); known: dev, staging, prod/,
    );
  });

  it('refuses a misspelt key with the key it meant', () => {
    expect(build({ reservedConcurency: '5' })).toThrow(
      /-c reservedConcurency: unknown context key \(did you mean reservedConcurrency\?\)/,
    );
  });

  it('refuses a setting passed as a flag, so a hand-typed deploy cannot change an environment', () => {
    expect(build({ env: 'prod', reservedConcurrency: '50' })).toThrow(
      /-c reservedConcurrency: unknown context key; reservedConcurrency is set per environment in infra\/environments\.ts/,
    );
  });

  it.each([
    ['Env', 'prod', '-c Env: unknown context key (did you mean -c env=prod?)'],
    ['enviroment', 'prod', '-c enviroment: unknown context key (did you mean -c env=prod?)'],
    ['environment', 'staging', '-c environment: unknown context key (did you mean -c env=staging?)'],
    ['env:prod', 'true', '-c env:prod: unknown context key (did you mean -c env=prod?)'],
    ['env.staging', '', '-c env.staging: unknown context key (did you mean -c env=staging?)'],
  ])('refuses the context key %s with the -c env=… it meant', (key, value, message) => {
    expect(build({ ...NO_BUNDLING, [key]: value })).toThrow(message);
  });

  it.each([
    ['a feature flag cdk.json does not set', '@aws-cdk/aws-lambda:madeUpFlag'],
    ['a key merely containing a colon', 'stage:prod'],
  ])('refuses %s, though it is shaped like one of CDK’s', (_what, key) => {
    expect(build({ ...NO_BUNDLING, env: 'dev', [key]: 'true' })).toThrow(`-c ${key}: unknown context key`);
  });

  it('accepts every key the CDK CLI injects on a run, and the ones its commands write to cdk.context.json', () => {
    // What aws-cdk's contextFromSettings sets (toolkit-lib), with version reporting on and then off, staging off.
    const injected = {
      'aws:cdk:enable-path-metadata': true,
      'aws:cdk:enable-asset-metadata': true,
      'aws:cdk:version-reporting': true,
      'aws:cdk:disable-version-reporting': true,
      'aws:cdk:disable-asset-staging': true,
      'aws:cdk:bundling-stacks': [],
      '@aws-cdk/core:failSynthOnValidationErrors': false,
      'acknowledged-issue-numbers': [32775],
      'aws-cdk:enableDiffNoFail': true,
      'cli-telemetry': false,
    };
    expect(Object.keys(injected).filter((key) => !isCdkContextKey(key))).toEqual([]);
    expect(build({ ...injected, env: 'staging' })().stack.stackName).toBe('CryptogramService-staging');
  });

  it('accepts an aws: key a later CDK CLI may inject, since the CLI refuses a typed one', () => {
    expect(build({ ...NO_BUNDLING, env: 'staging', 'aws:cdk:some-future-key': true })().stack.stackName).toBe(
      'CryptogramService-staging',
    );
  });

  it('reports every problem in one SettingsError', () => {
    let error: unknown;
    try {
      build({ env: 'qa', allowedPrincipals: '*', secretArn: 'x' })();
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(SettingsError);
    expect((error as Error).message.split('\n  - ')).toHaveLength(4);
  });
});

describe('no -c env given (the CDK CLI drops a -c without "=", such as -c env:prod, with a warning)', () => {
  it('says on stderr, in one line, that it synthesizes dev', () => {
    const result = runApp(NO_BUNDLING);
    expect(result.status).toBe(0);
    expect(result.stderr).toBe(
      'cryptogram-service: no -c env given: synthesizing dev (-c env=<name> chooses; the CDK CLI drops a -c without "=")\n',
    );
  });

  it('prints nothing of the build but CDK’s own line per asset: no esbuild size table, no hook output', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'cdk-out-'));
    try {
      const result = runApp(cdkJson.context, { CDK_OUTDIR: outdir });
      expect(result.status).toBe(0);
      expect(result.stdout).toBe('');
      expect(result.stderr.trim().split('\n')).toEqual([
        expect.stringMatching(/^cryptogram-service: no -c env given: synthesizing dev /),
        'Bundling asset CryptogramService-dev/Function/Handler/Code/Stage...',
        'Bundling asset CryptogramService-dev/Release/PreTrafficCheck/Code/Stage...',
        `cryptogram-service: the function's source map (npm run stack): ${join(outdir, 'CryptogramService-dev.function.mjs.map')}`,
      ]);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });

  it('says nothing when an environment was chosen', () => {
    const lines: string[] = [];
    buildApp({ context: { ...cdkJson.context, ...NO_BUNDLING, env: 'dev' }, notice: (line) => lines.push(line) });
    expect(lines).toEqual([]);
  });

  it('fails the synth when the credentials are for an account another environment pins', () => {
    const result = runApp(NO_BUNDLING, { CDK_DEFAULT_ACCOUNT: PROD_ACCOUNT });
    expect(result.status).toBe(1);
    expect(result.stderr.trim()).toBe(
      'Invalid context:\n  - no -c env given (the CDK CLI drops a -c without "=", such as -c env:prod): dev deploys ' +
        `wherever the AWS credentials point, and they are for account ${PROD_ACCOUNT}, which prod pins; pass -c ` +
        'env=prod, or use credentials for an account of your own',
    );
  });

  it('refuses dev by name in another environment’s account too, and builds it in an account of its own', () => {
    expect(build({ ...NO_BUNDLING, env: 'dev' }, PROD_ACCOUNT)).toThrow(
      `-c env=dev: dev deploys wherever the AWS credentials point, and they are for account ${PROD_ACCOUNT}, which prod pins`,
    );
    expect(build({ ...NO_BUNDLING }, '333333333333')().stack.stackName).toBe('CryptogramService-dev');
    expect(build({ ...NO_BUNDLING, env: 'prod' }, PROD_ACCOUNT)().stack.stackName).toBe('CryptogramService-prod');
  });
});

describe('`cdk synth` with a bad setting', () => {
  it('exits 1 with the message alone, no stack trace', () => {
    const result = runApp({ env: 'prd' });
    expect(result.status).toBe(1);
    expect(result.stderr.trim()).toBe(
      'Invalid context:\n  - -c env=prd: no such environment (did you mean prod?); known: dev, staging, prod',
    );
  });
});
