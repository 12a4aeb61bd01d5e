import { describe, expect, it } from 'vitest';
import { ENVIRONMENTS } from '../../infra/environments.ts';
import { readEnvironment, SettingsError } from '../../infra/settings.ts';

const problemsOf = (name: string, raw: unknown): string[] => {
  try {
    readEnvironment(name, raw);
  } catch (error) {
    expect(error).toBeInstanceOf(SettingsError);
    return (error as Error).message.split('\n  - ').slice(1);
  }
  return [];
};
const prodWith = (change: Record<string, unknown>) => problemsOf('prod', { ...ENVIRONMENTS.prod, ...change });
const devWith = (change: Record<string, unknown>) => problemsOf('dev', { ...ENVIRONMENTS.dev, ...change });

describe('the committed environments', () => {
  it.each(Object.entries(ENVIRONMENTS))('%s passes every check', (name, settings) => {
    expect(problemsOf(name, settings)).toEqual([]);
  });

  it('keep production Cashfree, canary releases and pinned accounts for prod', () => {
    const prod = readEnvironment('prod', ENVIRONMENTS.prod);
    expect(prod.functionEnvironment).toMatchObject({ CASHFREE_ENVIRONMENT: 'production' });
    expect(prod.release).toEqual({ strategy: 'canary', percent: 10, intervalMinutes: 5 });
    expect(prod.account).toMatch(/^\d{12}$/);
  });
});

describe('a bad environment', () => {
  it('reports a misspelt key with the key it meant', () => {
    expect(prodWith({ reservedConcurency: 5 })).toEqual([
      'prod.reservedConcurency is not a setting (did you mean reservedConcurrency?)',
    ]);
    expect(prodWith({ throttle: { rateLimit: 5, burstLimt: 10 } })).toEqual([
      'prod.throttle.burstLimt is not a setting (did you mean burstLimit?)',
      'prod.throttle.burstLimit must be a whole number from 1 to 5000',
    ]);
  });

  it('reports every misspelt key of an object, not only the first', () => {
    expect(prodWith({ throttle: { rateLimt: 5, burstLimt: 10 }, reservedConcurency: 5, alarmActonArn: 'x' })).toEqual([
      'prod.reservedConcurency is not a setting (did you mean reservedConcurrency?)',
      'prod.alarmActonArn is not a setting (did you mean alarmActionArn?)',
      'prod.throttle.rateLimt is not a setting (did you mean rateLimit?)',
      'prod.throttle.burstLimt is not a setting (did you mean burstLimit?)',
      'prod.throttle.rateLimit must be a whole number from 1 to 10000',
      'prod.throttle.burstLimit must be a whole number from 1 to 5000',
    ]);
  });

  it('reports a missing required setting by name', () => {
    const { release: _release, ...withoutRelease } = ENVIRONMENTS.prod;
    expect(problemsOf('prod', withoutRelease)).toEqual(['prod.release is required']);
  });

  it('refuses an ARN of the wrong service or resource type for every ARN setting', () => {
    const s3 = 'arn:aws:s3:::payments-bucket';
    expect(prodWith({ wafWebAclArn: s3, alarmActionArn: s3, secretArn: s3, kmsKey: { arn: s3 } })).toEqual([
      expect.stringMatching(
        /^prod\.secretArn must be a complete Secrets Manager secret ARN with its 6-character suffix/,
      ),
      expect.stringMatching(/^prod\.kmsKey\.arn must be a KMS key ARN .*not an alias$/),
      expect.stringMatching(/^prod\.alarmActionArn must be an SNS topic ARN/),
      expect.stringMatching(/^prod\.wafWebAclArn must be a regional WAFv2 web ACL ARN/),
    ]);
  });

  it('refuses a secret ARN without its suffix, a KMS alias and a global web ACL', () => {
    expect(
      prodWith({
        secretArn: 'arn:aws:secretsmanager:ap-south-1:222222222222:secret:cashfree',
        kmsKey: { arn: 'arn:aws:kms:ap-south-1:222222222222:alias/payments' },
        wafWebAclArn: 'arn:aws:wafv2:us-east-1:222222222222:global/webacl/payments/0a1b2c3d',
      }),
    ).toEqual([
      expect.stringMatching(/^prod\.secretArn must be/),
      expect.stringMatching(/^prod\.kmsKey\.arn must be/),
      expect.stringMatching(/^prod\.wafWebAclArn must be/),
    ]);
  });

  it('refuses ARNs in another region than the one the environment deploys to', () => {
    expect(prodWith({ alarmActionArn: 'arn:aws:sns:eu-west-1:222222222222:oncall' })).toEqual([
      'prod.alarmActionArn is in eu-west-1, but the environment deploys to ap-south-1',
    ]);
  });

  it('accepts an imported secret with its own key', () => {
    expect(
      prodWith({
        secretArn: 'arn:aws:secretsmanager:ap-south-1:222222222222:secret:cashfree/prod-AbCdEf',
        kmsKey: { arn: 'arn:aws:kms:ap-south-1:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab' },
      }),
    ).toEqual([]);
  });

  it('refuses creating a key for a secret it does not create', () => {
    expect(prodWith({ secretArn: 'arn:aws:secretsmanager:ap-south-1:222222222222:secret:cashfree-AbCdEf' })).toEqual([
      'prod.kmsKey: create applies only to a secret this stack creates (secretArn is set)',
    ]);
  });

  it('refuses wildcards and malformed entries in allowedPrincipals', () => {
    expect(
      prodWith({
        allowedPrincipals: ['arn:aws:iam::222222222222:role/*', '*', 'everyone', 'arn:aws:iam::222222222222:role/ok'],
      }),
    ).toEqual([
      'prod.allowedPrincipals[0] arn:aws:iam::222222222222:role/* must not contain a wildcard (* or ?): name each account, role or user',
      'prod.allowedPrincipals[1] * must not contain a wildcard (* or ?): name each account, role or user',
      'prod.allowedPrincipals[2] everyone is neither a 12-digit account id nor an IAM role, user or root ARN',
    ]);
  });

  it('names the setting, not the environment variable, when the function would refuse a Cashfree value', () => {
    expect(
      prodWith({
        cashfree: { environment: 'live', apiVersion: '2022/09/01', baseUrl: 'http://cashfree.example.com/pg' },
      }),
    ).toEqual([
      'prod.cashfree.environment must be one of sandbox, production',
      expect.stringMatching(/^prod\.cashfree\.baseUrl must use https/),
      'prod.cashfree.apiVersion must look like YYYY-MM-DD',
    ]);
    expect(prodWith({ cashfree: { environment: 'production', apiVersion: '2022-09-01', maxAttempts: 9 } })).toEqual([
      'prod.cashfree.maxAttempts must be a whole number from 1 to 5',
    ]);
  });

  it('names settings, not variables, inside the function’s reasons too, and requires the Cashfree environment', () => {
    expect(
      prodWith({
        cashfree: {
          environment: 'production',
          apiVersion: '2022-09-01',
          requestBudgetMs: 1000,
          credentialsTimeoutMs: 2000,
        },
      }),
    ).toEqual(['prod.cashfree.credentialsTimeoutMs must not exceed prod.cashfree.requestBudgetMs']);
    expect(prodWith({ cashfree: { apiVersion: '2022-09-01' } })).toEqual(['prod.cashfree.environment is required']);
  });

  it('refuses a plain-http base URL even on loopback, where only the local simulator may use one', () => {
    expect(
      prodWith({
        cashfree: { environment: 'production', apiVersion: '2022-09-01', baseUrl: 'http://localhost:8080/pg' },
      }),
    ).toEqual(['prod.cashfree.baseUrl must use https']);
  });

  it('refuses an unpinned environment other than dev, and production Cashfree without a pinned account', () => {
    const { account: _a, region: _r, ...unpinned } = ENVIRONMENTS.prod;
    expect(problemsOf('prod', unpinned)).toEqual([
      'prod: only dev may leave account and region unset; pin them',
      'prod.cashfree.environment: production needs a pinned account and region',
      // Without a region to compare with, the topic's region is no longer a problem.
    ]);
    expect(devWith({ account: '123456789012' })).toEqual(['dev: set account and region together']);
  });

  it('checks endpoint, throttle, concurrency and release values', () => {
    expect(
      devWith({
        endpoint: { vpcEndpointIds: ['vpce-zz'] },
        throttle: { rateLimit: 0, burstLimit: 10 },
        reservedConcurrency: 5,
        provisionedConcurrency: { min: 4, max: 8, utilizationTarget: 1.5 },
        release: { strategy: 'canary', percent: 100, intervalMinutes: 5 },
      }),
    ).toEqual([
      'dev.endpoint.vpcEndpointIds: vpce-zz is not a VPC endpoint id (vpce-...)',
      'dev.throttle.rateLimit must be a whole number from 1 to 10000',
      'dev.provisionedConcurrency.utilizationTarget must be a fraction from 0.1 to 0.9',
      'dev.provisionedConcurrency.max must not exceed reservedConcurrency (5)',
      'dev.release.percent must be a whole number from 1 to 99',
    ]);
    expect(devWith({ release: { strategy: 'blue-green' } })).toEqual([
      'dev.release.strategy must be one of all-at-once, canary, linear',
      'dev.release.percent must be a whole number from 1 to 99',
      'dev.release.intervalMinutes must be a whole number from 1 to 60',
    ]);
    expect(devWith({ release: { strategy: 'linaer', percent: 10, intervalMinutes: 1 } })[0]).toBe(
      'dev.release.strategy must be one of all-at-once, canary, linear (did you mean linear?)',
    );
  });

  it('reports every problem at once, as one message without a stack', () => {
    let error: Error | undefined;
    try {
      readEnvironment('prod', { ...ENVIRONMENTS.prod, reservedConcurrency: 'lots', wafWebAclArn: 'x', typo: 1 });
    } catch (caught) {
      error = caught as Error;
    }
    expect(error?.name).toBe('SettingsError');
    expect(error?.message.split('\n')).toEqual([
      'Invalid settings in infra/environments.ts:',
      '  - prod.typo is not a setting',
      '  - prod.reservedConcurrency must be a whole number from 1 to 1000',
      expect.stringMatching(/^ {2}- prod\.wafWebAclArn must be/),
    ]);
  });
});

describe('the probe ids', () => {
  it('default to the contract’s ids and 404 wherever the environment names none', () => {
    expect(readEnvironment('prod', ENVIRONMENTS.prod).probe).toEqual({
      customerId: 'cryptogram_service_probe',
      instrumentId: 'probe-00000000-0000-4000-8000-000000000000',
      expected: 404,
    });
    expect(readEnvironment('prod', { ...ENVIRONMENTS.prod, probe: { expected: 400 } }).probe.expected).toBe(400);
  });

  it.each([401, 403, 500, 502, 200, '404'])(
    'refuses %s as the answer that counts as authenticated and routed',
    (expected) => {
      expect(prodWith({ probe: { expected } })).toEqual([
        expect.stringMatching(/^prod\.probe\.expected must be 404 .* or 400; never 401, 403, 5xx or 200/),
      ]);
    },
  );

  it('refuses ids the function itself would refuse, with the function’s reason', () => {
    expect(prodWith({ probe: { customerId: 'a/b', instrumentId: '', colour: 'x' } })).toEqual([
      'prod.probe.colour is not a setting',
      'prod.probe.customerId: customer_id may contain only letters, digits and _ . : @ + = -',
      'prod.probe.instrumentId: instrument_id is empty',
    ]);
  });
});

describe('the heartbeat setting', () => {
  const PRIVATE = { endpoint: { vpcEndpointIds: ['vpce-0123456789abcdef0'] } };
  const VPC = {
    subnetIds: ['subnet-0123456789abcdef0'],
    securityGroupIds: ['sg-0123456789abcdef0'],
    vpcEndpointId: 'vpce-0123456789abcdef0',
  };

  it('is on in staging and prod and off in dev as committed, and on by default outside dev', () => {
    expect(readEnvironment('prod', ENVIRONMENTS.prod).heartbeat).toEqual({ enabled: true });
    expect(readEnvironment('dev', ENVIRONMENTS.dev).heartbeat).toEqual({ enabled: false });
    const { heartbeat: _heartbeat, ...unset } = ENVIRONMENTS.staging;
    expect(readEnvironment('staging', unset).heartbeat).toEqual({ enabled: true });
  });

  it('needs the VPC it runs in when the API is private, so it calls from where callers do', () => {
    expect(prodWith(PRIVATE)).toEqual([expect.stringMatching(/^prod\.heartbeat\.vpc is required for a private API/)]);
    expect(prodWith({ ...PRIVATE, heartbeat: { enabled: true, vpc: VPC } })).toEqual([]);
    expect(prodWith({ ...PRIVATE, heartbeat: { enabled: false } })).toEqual([]);
  });

  it('checks the VPC settings and refuses them for a regional API', () => {
    expect(
      prodWith({
        ...PRIVATE,
        heartbeat: { enabled: true, vpc: { subnetIds: [], securityGroupIds: ['sg-x'], vpcEndpointId: 'vpce-1' } },
      }),
    ).toEqual([
      'prod.heartbeat.vpc.subnetIds must list at least one subnet id (subnet-...)',
      'prod.heartbeat.vpc.securityGroupIds: sg-x is not a security group id (sg-...)',
      'prod.heartbeat.vpc.vpcEndpointId must be one of endpoint.vpcEndpointIds',
    ]);
    expect(prodWith({ heartbeat: { enabled: true, vpc: VPC } })).toEqual([
      'prod.heartbeat.vpc applies only to a private API (endpoint.vpcEndpointIds)',
    ]);
    expect(devWith({ heartbeat: { enabled: 'yes' } })).toEqual(['dev.heartbeat.enabled must be true or false']);
  });
});
