import { describe, expect, it } from 'vitest';
import cdkJson from '../../cdk.json' with { type: 'json' };
import { buildApp } from '../../infra/app.ts';
import { selectEnvironment } from '../../infra/context.ts';
import { ENVIRONMENTS } from '../../infra/environments.ts';
import { parseContext, UsageError } from '../../infra/preflight/context.ts';
import { preflight } from '../../infra/preflight/main.ts';

async function runPreflight(argv: string[]) {
  const lines: string[] = [];
  const code = await preflight(argv, { write: (text) => lines.push(...text.split('\n')) });
  return { code, lines };
}

const appMessage = (context: Record<string, string>): string => {
  try {
    buildApp({ context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [], ...context } });
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('the app accepted it');
};

describe('npm run preflight reads -c as the CDK CLI does', () => {
  it('splits each pair at its first "=" and keeps the value as a string', () => {
    expect(parseContext(['-c', 'env=prod', '--context', 'a=b=c', '--context=x=1'])).toEqual({
      env: 'prod',
      a: 'b=c',
      x: '1',
    });
  });

  it('refuses a pair without "=", which the CLI would drop with a warning, and says what was meant', () => {
    expect(() => parseContext(['-c', 'env:prod'])).toThrow(
      new UsageError('context must be KEY=VALUE, not env:prod (did you mean -c env=prod?)'),
    );
  });

  it('refuses a key prefixed with aws:, as the CLI does', () => {
    expect(() => parseContext(['-c', 'aws:cdk:bundling-stacks=x'])).toThrow(
      "context keys prefixed with aws: are CDK's own, not aws:cdk:bundling-stacks",
    );
  });

  it('exits 2 with the usage for -c env:prod, before any AWS call', async () => {
    const { code, lines } = await runPreflight(['-c', 'env:prod']);
    expect(code).toBe(2);
    expect(lines).toEqual([
      'context must be KEY=VALUE, not env:prod (did you mean -c env=prod?)',
      expect.stringMatching(/^usage: npm run preflight -- -c env=<name>/),
    ]);
  });

  it.each([['Env'], ['enviroment']])('refuses -c %s=prod with the words cdk synth uses', async (key) => {
    const { code, lines } = await runPreflight(['-c', `${key}=prod`]);
    expect(code).toBe(1);
    expect(lines.join('\n')).toBe(appMessage({ [key]: 'prod' }));
    expect(lines).toContain(
      `  - -c ${key}: unknown context key (did you mean -c env=prod?); settings live in infra/environments.ts, ` +
        'and -c env=<name> selects one',
    );
  });
});

describe('choosing the environment from the context, before any stack is built', () => {
  const choose = (context: Record<string, unknown>, credentialsAccount?: string) => {
    const notices: string[] = [];
    const given = {
      environments: ENVIRONMENTS,
      credentialsAccount,
      droppedContext: [],
      notice: (line: string) => notices.push(line),
    };
    return { selected: selectEnvironment({ context, ...given }), notices };
  };

  it('takes -c env as given, and dev with a notice when none is', () => {
    expect(choose({ env: 'staging' })).toEqual({ selected: 'staging', notices: [] });
    expect(choose({})).toEqual({
      selected: 'dev',
      notices: [expect.stringMatching(/^cryptogram-service: no -c env given/)],
    });
  });

  it('refuses an unpinned environment in an account another environment pins, naming that environment', () => {
    expect(() => choose({ env: 'dev' }, ENVIRONMENTS.prod.account)).toThrow(/which prod pins; pass -c env=prod/);
  });
});
