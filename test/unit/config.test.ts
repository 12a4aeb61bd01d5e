import { describe, expect, it } from 'vitest';
import { CASHFREE_BASE_URLS, ConfigError, DEFAULTS, ENV, readConfig } from '../../lambda/config.ts';

const SECRET_ID = 'arn:aws:secretsmanager:ap-south-1:123456789012:secret:cashfree-AbCdEf';

function configError(env: Record<string, string | undefined>): ConfigError {
  try {
    readConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('readConfig accepted the configuration');
}

describe('readConfig', () => {
  it('applies the documented defaults when only the secret id is set', () => {
    // Prepare
    const env = { [ENV.secretId]: SECRET_ID };

    // Act
    const config = readConfig(env);

    // Assess
    expect(config.secretId).toBe(SECRET_ID);
    expect(config.cashfreeBaseUrl).toBe('https://sandbox.cashfree.com/pg');
    expect(config.apiVersion).toBe('2022-09-01');
    expect(config.credentialsTtlSeconds).toBe(DEFAULTS.credentialsTtlSeconds);
    expect(config.attemptTimeoutMs).toBe(DEFAULTS.attemptTimeoutMs);
    expect(config.maxAttempts).toBe(DEFAULTS.maxAttempts);
    expect(config.requestBudgetMs).toBe(5000);
    expect(config.credentialsTimeoutMs).toBe(2000);
  });

  it('leaves room in the default budget for a timed-out attempt to be retried', () => {
    // Act
    const { attemptTimeoutMs, requestBudgetMs } = readConfig({ [ENV.secretId]: SECRET_ID });

    // Assess: two full attempts and the longest pause between them (1 s) fit
    expect(2 * attemptTimeoutMs + 1000).toBeLessThanOrEqual(requestBudgetMs);
  });

  it('keeps the default credential TTL in minutes, neither seconds nor forever', () => {
    // Act
    const { credentialsTtlSeconds } = readConfig({ [ENV.secretId]: SECRET_ID });

    // Assess
    expect(credentialsTtlSeconds).toBeGreaterThanOrEqual(60);
    expect(credentialsTtlSeconds).toBeLessThanOrEqual(3600);
  });

  it('reads every tunable from its environment variable', () => {
    // Prepare
    const env = {
      [ENV.secretId]: SECRET_ID,
      [ENV.apiVersion]: '2025-01-01',
      [ENV.credentialsTtlSeconds]: '600',
      [ENV.attemptTimeoutMs]: '2500',
      [ENV.maxAttempts]: '5',
      [ENV.requestBudgetMs]: '8000',
      [ENV.credentialsTimeoutMs]: '1500',
    };

    // Act
    const config = readConfig(env);

    // Assess
    expect(config).toMatchObject({
      apiVersion: '2025-01-01',
      credentialsTtlSeconds: 600,
      attemptTimeoutMs: 2500,
      maxAttempts: 5,
      requestBudgetMs: 8000,
      credentialsTimeoutMs: 1500,
    });
  });

  it('treats empty and blank variables as unset and trims the others', () => {
    // Prepare
    const env = {
      [ENV.secretId]: `  ${SECRET_ID}\n`,
      [ENV.environment]: '',
      [ENV.baseUrl]: '   ',
      [ENV.apiVersion]: '',
      [ENV.maxAttempts]: ' 2 ',
    };

    // Act
    const config = readConfig(env);

    // Assess
    expect(config.secretId).toBe(SECRET_ID);
    expect(config.cashfreeBaseUrl).toBe(CASHFREE_BASE_URLS.sandbox);
    expect(config.apiVersion).toBe(DEFAULTS.apiVersion);
    expect(config.maxAttempts).toBe(2);
  });

  it.each([
    ['sandbox', 'https://sandbox.cashfree.com/pg'],
    ['production', 'https://api.cashfree.com/pg'],
  ])('picks the %s base URL from CASHFREE_ENVIRONMENT', (environment, expected) => {
    // Act
    const config = readConfig({ [ENV.secretId]: SECRET_ID, [ENV.environment]: environment });

    // Assess
    expect(config.cashfreeBaseUrl).toBe(expected);
  });

  it.each([
    ['production', 'https://sandbox.cashfree.com/pg', 'sandbox'],
    ['sandbox', 'https://api.cashfree.com/pg', 'production'],
    ['production', 'https://SANDBOX.cashfree.com:443/pg/', 'sandbox'],
  ])(
    'refuses CASHFREE_ENVIRONMENT=%s with CASHFREE_BASE_URL=%s, the other environment’s host',
    (environment, baseUrl, hostEnvironment) => {
      // Act
      const error = configError({
        [ENV.secretId]: SECRET_ID,
        [ENV.environment]: environment,
        [ENV.baseUrl]: baseUrl,
        [ENV.allowCustomHost]: 'true',
      });

      // Assess
      expect(error.problems).toEqual([
        {
          variable: ENV.baseUrl,
          problem: `is Cashfree's ${hostEnvironment} host while ${ENV.environment} is ${environment}`,
        },
      ]);
    },
  );

  it.each([
    ['production', 'https://api.cashfree.com/pg/v2'],
    ['sandbox', 'https://sandbox.cashfree.com/pg'],
    ['production', 'http://127.0.0.1:4010/pg'],
  ])(
    'lets CASHFREE_ENVIRONMENT=%s take CASHFREE_BASE_URL=%s, a host it cannot tell apart or its own',
    (environment, baseUrl) => {
      // Act
      const config = readConfig({ [ENV.secretId]: SECRET_ID, [ENV.environment]: environment, [ENV.baseUrl]: baseUrl });

      // Assess
      expect(config.cashfreeBaseUrl).toBe(baseUrl);
    },
  );

  it('lets a production environment use a custom host, such as an egress proxy, when allowed', () => {
    // Act
    const config = readConfig({
      [ENV.secretId]: SECRET_ID,
      [ENV.environment]: 'production',
      [ENV.baseUrl]: 'https://cashfree-proxy.internal.example/pg',
      [ENV.allowCustomHost]: 'true',
    });

    // Assess
    expect(config.cashfreeBaseUrl).toBe('https://cashfree-proxy.internal.example/pg');
  });

  it('accepts a host of its own, such as an egress proxy, only with CASHFREE_ALLOW_CUSTOM_HOST=true', () => {
    // Prepare
    const env = { [ENV.secretId]: SECRET_ID, [ENV.baseUrl]: 'https://cashfree-proxy.internal.example/pg' };

    // Act
    const refused = configError(env);
    const config = readConfig({ ...env, [ENV.allowCustomHost]: 'true' });

    // Assess
    expect(refused.message).toContain(ENV.baseUrl);
    expect(refused.message).toContain(ENV.allowCustomHost);
    expect(config.cashfreeBaseUrl).toBe('https://cashfree-proxy.internal.example/pg');
  });

  it.each([
    'https://cashfree.example.com/pg',
    'https://api.cashfree.com.example.com/pg',
    'https://sandbox.cashfree.com:8443/pg',
    'https://10.0.0.7/pg',
  ])('refuses %s when no custom host is allowed', (baseUrl) => {
    // Act
    const error = configError({ [ENV.secretId]: SECRET_ID, [ENV.baseUrl]: baseUrl, [ENV.allowCustomHost]: 'false' });

    // Assess
    expect(error.message).toContain(ENV.baseUrl);
  });

  it.each([
    ['https://sandbox.cashfree.com/pg/', 'https://sandbox.cashfree.com/pg'],
    ['https://SANDBOX.Cashfree.com:443/pg///', 'https://sandbox.cashfree.com/pg'],
    ['http://127.0.0.1:4010/pg/', 'http://127.0.0.1:4010/pg'],
  ])('trims the trailing slashes of %s', (baseUrl, expected) => {
    // Act
    const config = readConfig({ [ENV.secretId]: SECRET_ID, [ENV.baseUrl]: baseUrl });

    // Assess
    expect(config.cashfreeBaseUrl).toBe(expected);
  });

  it.each(['http://127.0.0.1:4010/pg', 'http://localhost:4010/pg', 'http://[::1]:4010/pg'])(
    'accepts plain http for the loopback base URL %s',
    (baseUrl) => {
      // Act
      const config = readConfig({ [ENV.secretId]: SECRET_ID, [ENV.baseUrl]: baseUrl });

      // Assess
      expect(config.cashfreeBaseUrl).toBe(baseUrl);
    },
  );

  it.each([
    'http://sandbox.cashfree.com/pg',
    'http://10.0.0.7/pg',
    'http://localhost.example.com/pg',
    'http://127.0.0.1.nip.io/pg',
    'ftp://sandbox.cashfree.com/pg',
    'sandbox.cashfree.com/pg',
    'https://user:pass@sandbox.cashfree.com/pg',
    'https://sandbox.cashfree.com/pg?x=1',
    'https://sandbox.cashfree.com/pg#top',
    'https://sandbox.cashfree.com/pg?',
    'https://sandbox.cashfree.com/pg#',
    'https://@sandbox.cashfree.com/pg',
    'https://:@sandbox.cashfree.com/pg',
    'http://127.0.0.1:4010/pg?',
    'https://evil.example\\@sandbox.cashfree.com/pg',
    'https://sandbox.cashfree.com/p g',
    'https://sandbox.cashfree.com/pg\u0000',
  ])('refuses the base URL %s, naming CASHFREE_BASE_URL', (baseUrl) => {
    // Act
    const error = configError({ [ENV.secretId]: SECRET_ID, [ENV.baseUrl]: baseUrl });

    // Assess
    expect(error.message).toContain(ENV.baseUrl);
  });

  it.each([
    [ENV.secretId, undefined],
    [ENV.environment, 'staging'],
    [ENV.environment, 'Production'],
    [ENV.apiVersion, 'v1'],
    [ENV.apiVersion, '2022-9-1'],
    [ENV.credentialsTtlSeconds, '29'],
    [ENV.credentialsTtlSeconds, '3601'],
    [ENV.credentialsTtlSeconds, '5m'],
    [ENV.attemptTimeoutMs, '99'],
    [ENV.attemptTimeoutMs, '30001'],
    [ENV.attemptTimeoutMs, '1e3'],
    [ENV.maxAttempts, '0'],
    [ENV.maxAttempts, '6'],
    [ENV.maxAttempts, '2.5'],
    [ENV.maxAttempts, '-1'],
    [ENV.requestBudgetMs, '499'],
    [ENV.requestBudgetMs, '30001'],
    [ENV.credentialsTimeoutMs, '99'],
    [ENV.credentialsTimeoutMs, 'soon'],
    [ENV.allowCustomHost, 'yes'],
    [ENV.allowCustomHost, 'TRUE'],
  ])('refuses %s=%s with a ConfigError naming only that variable', (name, value) => {
    // Prepare
    const env = { [ENV.secretId]: SECRET_ID, [name]: value };

    // Act
    const error = configError(env);

    // Assess
    const named = Object.values(ENV).filter((envName) => error.message.includes(envName));
    expect(named).toEqual([name]);
  });

  it.each([
    [ENV.credentialsTtlSeconds, '30', 'credentialsTtlSeconds', 30],
    [ENV.credentialsTtlSeconds, '3600', 'credentialsTtlSeconds', 3600],
    [ENV.attemptTimeoutMs, '100', 'attemptTimeoutMs', 100],
    [ENV.attemptTimeoutMs, '30000', 'attemptTimeoutMs', 30_000],
    [ENV.maxAttempts, '1', 'maxAttempts', 1],
    [ENV.requestBudgetMs, '2000', 'requestBudgetMs', 2000],
    [ENV.credentialsTimeoutMs, '5000', 'credentialsTimeoutMs', 5000],
  ] as const)('accepts the boundary value %s=%s', (name, value, key, expected) => {
    // Act
    const config = readConfig({ [ENV.secretId]: SECRET_ID, [name]: value });

    // Assess
    expect(config[key]).toBe(expected);
  });

  it('lists every bad variable in one error', () => {
    // Prepare
    const env = {
      [ENV.environment]: 'staging',
      [ENV.baseUrl]: 'http://cashfree.example.com/pg',
      [ENV.apiVersion]: 'latest',
      [ENV.credentialsTtlSeconds]: '5',
      [ENV.attemptTimeoutMs]: 'fast',
      [ENV.maxAttempts]: '10',
      [ENV.requestBudgetMs]: '1000',
      [ENV.credentialsTimeoutMs]: '2000',
      [ENV.allowCustomHost]: 'maybe',
    };

    // Act
    const error = configError(env);

    // Assess
    for (const name of Object.values(ENV)) expect(error.message).toContain(name);
  });

  it('lists each refused variable with its problem, in the order the message names them', () => {
    // Prepare
    const env = { [ENV.secretId]: SECRET_ID, [ENV.apiVersion]: 'latest', [ENV.maxAttempts]: '10' };

    // Act
    const error = configError(env);

    // Assess
    expect(error.problems).toEqual([
      { variable: ENV.apiVersion, problem: 'must look like YYYY-MM-DD' },
      { variable: ENV.maxAttempts, problem: 'must be a whole number from 1 to 5' },
    ]);
    expect(error.message).toBe(
      `Invalid configuration: ${ENV.apiVersion} must look like YYYY-MM-DD; ${ENV.maxAttempts} must be a whole number from 1 to 5`,
    );
  });

  it.each([
    [ENV.environment, 'prodution', 'must be one of sandbox, production (did you mean production?)'],
    [ENV.environment, 'Sandbox', 'must be one of sandbox, production (did you mean sandbox?)'],
    [ENV.environment, 'staging', 'must be one of sandbox, production'],
    [ENV.allowCustomHost, 'ture', 'must be true or false (did you mean true?)'],
    [ENV.allowCustomHost, 'maybe', 'must be true or false'],
  ])('refuses %s=%s and suggests the closest valid value only when it is a plausible typo', (name, value, problem) => {
    // Act
    const error = configError({ [ENV.secretId]: SECRET_ID, [name]: value });

    // Assess
    expect(error.problems).toEqual([{ variable: name, problem }]);
    expect(error.message).toBe(`Invalid configuration: ${name} ${problem}`);
  });

  it('refuses a credentials timeout longer than the request budget', () => {
    // Act
    const error = configError({
      [ENV.secretId]: SECRET_ID,
      [ENV.requestBudgetMs]: '1000',
      [ENV.credentialsTimeoutMs]: '1001',
    });

    // Assess
    expect(error.message).toContain(ENV.credentialsTimeoutMs);
  });

  it.each(['constructor', 'toString', '__proto__'])(
    'refuses CASHFREE_ENVIRONMENT=%s with a ConfigError, not a crash',
    (environment) => {
      // Prepare
      const env = { [ENV.secretId]: SECRET_ID, [ENV.environment]: environment };

      // Act
      const act = () => readConfig(env);

      // Assess
      expect(act).toThrow(ConfigError);
      expect(act).toThrow(ENV.environment);
    },
  );
});
