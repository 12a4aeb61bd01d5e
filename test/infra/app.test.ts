import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import cdkJson from '../../cdk.json' with { type: 'json' };
import { buildApp } from '../../infra/app.ts';
import { ENVIRONMENTS } from '../../infra/environments.ts';
import { SettingsError } from '../../infra/settings.ts';
import { synthesize } from './synth.ts';

const ROOT = join(import.meta.dirname, '../..');
const build = (context: Record<string, unknown>) => () => buildApp({ context: { ...cdkJson.context, ...context } });

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

describe('`cdk synth` with a bad setting', () => {
  it('exits 1 with the message alone, no stack trace', () => {
    const node = process.execPath;
    const result = spawnSync(node, ['infra/app.ts'], {
      cwd: ROOT,
      encoding: 'utf8',
      env: {
        ...process.env,
        PATH: `${dirname(node)}:${process.env.PATH}`,
        CDK_CONTEXT_JSON: JSON.stringify({ env: 'prd' }),
      },
    });
    expect(result.status).toBe(1);
    expect(result.stderr.trim()).toBe(
      'Invalid context:\n  - -c env=prd: no such environment (did you mean prod?); known: dev, staging, prod',
    );
  });
});
