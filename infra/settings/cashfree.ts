import * as v from 'valibot';
import { type CashfreeEnvironment, ConfigError, type ConfigProblem, ENV, readConfig } from '../../lambda/config.ts';
import { isObject, type Json, strict } from './schema.ts';

// Every variable the function reads but its secret's id, which the stack sets: the setting of `ENV.maxAttempts`
// is `maxAttempts`. The function's own reader checks the values (`cashfreeSetting`); here they only pass through.
type CashfreeKey = Exclude<keyof typeof ENV, 'secretId'>;
const PASSED = ['string', 'number', 'boolean'];
const passed = <T>() => v.custom<T>((value) => PASSED.includes(typeof value), ' must be a string, number or boolean');
const CASHFREE = {
  environment: passed<CashfreeEnvironment>(),
  apiVersion: passed<string>(),
  baseUrl: v.optional(passed<string>()),
  /** Lets `baseUrl` be a host other than Cashfree's, such as an egress proxy. */
  allowCustomHost: v.optional(passed<boolean>()),
  credentialsTtlSeconds: v.optional(passed<number>()),
  attemptTimeoutMs: v.optional(passed<number>()),
  maxAttempts: v.optional(passed<number>()),
  requestBudgetMs: v.optional(passed<number>()),
  credentialsTimeoutMs: v.optional(passed<number>()),
} satisfies Record<CashfreeKey, v.GenericSchema>;
export const CASHFREE_KEYS = Object.keys(CASHFREE) as CashfreeKey[];

export const functionEnvironment = (cashfree: Json): Record<string, string> =>
  Object.fromEntries(
    CASHFREE_KEYS.flatMap((key) => (PASSED.includes(typeof cashfree[key]) ? [[ENV[key], String(cashfree[key])]] : [])),
  );

/** What the function's reader refuses, each problem worded to follow the setting's name. */
function refusals(environment: Record<string, string>): ConfigProblem[] {
  try {
    readConfig({ ...environment, [ENV.secretId]: 'checked-at-synth' });
    return [];
  } catch (error) {
    if (error instanceof ConfigError)
      return error.problems.map(({ variable, problem }) => ({ variable, problem: ` ${problem}` }));
    throw error;
  }
}

/** The Cashfree settings of environment `name`, checked by the function's own reader. */
export const cashfreeSetting = ({ name, pinned }: { name: string; pinned: boolean }) =>
  v.pipe(
    strict(CASHFREE, 'an object', ' is required'),
    // The function's own reader: whatever it would reject at cold start fails the synth instead, by setting name.
    v.rawCheck(({ dataset, addIssue }) => {
      if (!isObject(dataset.value)) return;
      const cashfree = dataset.value;
      const environment = functionEnvironment(cashfree);
      const refused = refusals(environment);
      if (!pinned && cashfree.environment === 'production') {
        refused.unshift({ variable: ENV.environment, problem: ': production needs a pinned account and region' });
      }
      // The function accepts plain http on loopback for the local simulator; deployed, that would send the key
      // pair unencrypted to whatever listens inside the execution environment.
      if (environment[ENV.baseUrl]?.startsWith('http:') && !refused.some((p) => p.variable === ENV.baseUrl)) {
        refused.push({ variable: ENV.baseUrl, problem: ' must use https' });
      }
      for (const { variable, problem } of refused) {
        const key = CASHFREE_KEYS.find((candidate) => ENV[candidate] === variable);
        const message = CASHFREE_KEYS.reduce((text, k) => text.replaceAll(ENV[k], `${name}.cashfree.${k}`), problem);
        const path: [v.IssuePathItem] | undefined = key && [
          { type: 'object', origin: 'value', input: cashfree, key, value: cashfree[key] },
        ];
        addIssue({ message, path });
      }
    }),
  );
