import {
  CloudFormationClient,
  CloudFormationServiceException,
  ListStackResourcesCommand,
} from '@aws-sdk/client-cloudformation';
import { GetRoleCommand, GetUserCommand, IAMClient, NoSuchEntityException } from '@aws-sdk/client-iam';
import { DescribeKeyCommand, NotFoundException as KeyNotFound, KMSClient } from '@aws-sdk/client-kms';
import {
  ResourceNotFoundException as FunctionNotFound,
  GetAccountSettingsCommand,
  GetFunctionConcurrencyCommand,
  LambdaClient,
} from '@aws-sdk/client-lambda';
import {
  DescribeSecretCommand,
  ResourceNotFoundException as SecretNotFound,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { GetTopicAttributesCommand, SNSClient, NotFoundException as TopicNotFound } from '@aws-sdk/client-sns';
import { GetCallerIdentityCommand, STSClient, STSServiceException } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ENVIRONMENTS } from '../../infra/environments.ts';
import { preflight } from '../../infra/preflight/main.ts';
import { loadTarget } from '../../infra/preflight/target.ts';
import { deadPort } from '../support/test-server.ts';

const ACCOUNT = ENVIRONMENTS.staging.account;
const REGION = ENVIRONMENTS.staging.region;
const ROLE = ENVIRONMENTS.staging.allowedPrincipals[0] as string;
const TOPIC = ENVIRONMENTS.staging.alarmActionArn;
const SECRET = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:cashfree-staging-AbCdEf`;
const KEY = `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const OTHER_KEY = `arn:aws:kms:${REGION}:${ACCOUNT}:key/99999999-12ab-34cd-56ef-1234567890ab`;
const $metadata = {};

/** The committed environments, with staging changed as a test needs. */
const stagingWith = (change: Record<string, unknown>) => ({
  ...ENVIRONMENTS,
  staging: { ...ENVIRONMENTS.staging, ...change },
});
const IMPORTED = { secretArn: SECRET, kmsKey: { arn: KEY } };

async function run(argv: string[], environments?: Record<string, unknown>) {
  const lines: string[] = [];
  const code = await preflight(argv, { environments, write: (text) => lines.push(...text.split('\n')) });
  return { code, lines, problems: lines.filter((line) => line.startsWith('problem ')) };
}
const staging = (environments?: Record<string, unknown>) => run(['-c', 'env=staging'], environments);

// No test may reach for a real credential or config file, nor the EC2 metadata endpoint.
function isolateFromTheMachine(): void {
  for (const name of ['AWS_PROFILE', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN']) {
    vi.stubEnv(name, undefined);
  }
  vi.stubEnv('AWS_CONFIG_FILE', '/nonexistent/aws-config');
  vi.stubEnv('AWS_SHARED_CREDENTIALS_FILE', '/nonexistent/aws-credentials');
  vi.stubEnv('AWS_EC2_METADATA_DISABLED', 'true');
  vi.stubEnv('AWS_REGION', REGION);
}
afterEach(() => {
  vi.unstubAllEnvs();
});

describe('preflight against AWS (the SDK clients faked)', () => {
  const sts = mockClient(STSClient);
  const iam = mockClient(IAMClient);
  const sns = mockClient(SNSClient);
  const secrets = mockClient(SecretsManagerClient);
  const kms = mockClient(KMSClient);
  const lambda = mockClient(LambdaClient);
  const cloudFormation = mockClient(CloudFormationClient);
  afterAll(() => {
    for (const mock of [sts, iam, sns, secrets, kms, lambda, cloudFormation]) mock.restore();
  });

  /** Staging deployed already: CloudFormation lists its functions among the stack's resources. */
  function deployedStack() {
    const { functions } = loadTarget({ env: 'staging' });
    cloudFormation.on(ListStackResourcesCommand).resolves({
      StackResourceSummaries: functions.map(({ logicalId }) => ({
        LogicalResourceId: logicalId,
        PhysicalResourceId: `CryptogramService-staging-${logicalId}`,
        ResourceType: 'AWS::Lambda::Function',
        ResourceStatus: 'UPDATE_COMPLETE',
        LastUpdatedTimestamp: new Date(),
      })),
    });
    return functions;
  }

  // A healthy staging account, where the stack has not been deployed yet.
  beforeEach(() => {
    isolateFromTheMachine();
    for (const mock of [sts, iam, sns, secrets, kms, lambda, cloudFormation]) mock.reset();
    sts.on(GetCallerIdentityCommand).resolves({ Account: ACCOUNT, Arn: `arn:aws:iam::${ACCOUNT}:user/operator` });
    iam.on(GetRoleCommand).callsFake(({ RoleName }) => ({
      Role: {
        RoleName,
        Arn: `arn:aws:iam::${ACCOUNT}:role/${RoleName}`,
        Path: '/',
        RoleId: 'AROAEXAMPLE',
        CreateDate: new Date(),
      },
    }));
    sns.on(GetTopicAttributesCommand).resolves({ Attributes: { TopicArn: TOPIC as string } });
    secrets
      .on(DescribeSecretCommand)
      .resolves({ ARN: SECRET, KmsKeyId: KEY, VersionIdsToStages: { v1: ['AWSCURRENT'] } });
    kms.on(DescribeKeyCommand).resolves({
      KeyMetadata: { KeyId: KEY.split('/')[1], Arn: KEY, KeyState: 'Enabled', KeyManager: 'CUSTOMER' },
    });
    lambda.on(GetAccountSettingsCommand).resolves({
      AccountLimit: { ConcurrentExecutions: 1000, UnreservedConcurrentExecutions: 1000 },
    });
    cloudFormation.on(ListStackResourcesCommand).rejects(
      new CloudFormationServiceException({
        name: 'ValidationError',
        $fault: 'client',
        $metadata,
        message: 'Stack with id CryptogramService-staging does not exist',
      }),
    );
  });

  describe('a healthy environment', () => {
    it('exits 0 with no problem line, having asked about the role, the topic and the concurrency pool', async () => {
      const { code, problems, lines } = await staging();
      expect(problems).toEqual([]);
      expect(code).toBe(0);
      expect(lines.at(-1)).toMatch(/no problems found for CryptogramService-staging/);
      expect(iam.commandCalls(GetRoleCommand)[0]?.args[0].input).toEqual({ RoleName: 'checkout-service-staging' });
      expect(sns.commandCalls(GetTopicAttributesCommand)[0]?.args[0].input).toEqual({ TopicArn: TOPIC });
      expect(lambda.commandCalls(GetAccountSettingsCommand)).toHaveLength(1);
    });

    it('exits 0 with an imported secret that holds a value under its enabled key', async () => {
      const { code, problems } = await staging(stagingWith(IMPORTED));
      expect(problems).toEqual([]);
      expect(code).toBe(0);
      expect(secrets.commandCalls(DescribeSecretCommand)[0]?.args[0].input).toEqual({ SecretId: SECRET });
    });

    it('says nothing about a secret the stack creates, and reads no secret value ever', async () => {
      const { code } = await staging();
      expect(code).toBe(0);
      expect(secrets.calls()).toHaveLength(0);
    });

    it('notes, without failing, a caller in another account it cannot look into', async () => {
      const caller = 'arn:aws:iam::444455556666:role/payments-checkout';
      const { code, lines } = await staging(stagingWith({ allowedPrincipals: [ROLE, '444455556666', caller] }));
      expect(code).toBe(0);
      expect(lines.filter((line) => line.startsWith('note '))).toEqual([
        expect.stringContaining('allowedPrincipals[1] 444455556666: in account 444455556666'),
        expect.stringContaining(`allowedPrincipals[2] ${caller}: in account 444455556666`),
      ]);
      expect(iam.calls()).toHaveLength(1);
    });

    it('counts on a redeploy the reservation the stack’s functions already hold', async () => {
      const functions = deployedStack();
      const held = functions.reduce((sum, fn) => sum + fn.reservedConcurrency, 0);
      expect(held).toBeGreaterThan(0);
      lambda.on(GetFunctionConcurrencyCommand).callsFake(({ FunctionName }) => ({
        ReservedConcurrentExecutions: functions.find((fn) => FunctionName.endsWith(fn.logicalId))?.reservedConcurrency,
      }));
      // Exactly the 100 Lambda keeps unreserved are left: fine, because this stack already holds its share.
      lambda.on(GetAccountSettingsCommand).resolves({
        AccountLimit: { ConcurrentExecutions: 100 + held, UnreservedConcurrentExecutions: 100 },
      });
      const { code, problems } = await staging();
      expect(problems).toEqual([]);
      expect(code).toBe(0);
      expect(lambda.commandCalls(GetFunctionConcurrencyCommand)).toHaveLength(functions.length);
    });
  });

  describe('each planted misconfiguration is reported with exactly one line and exit 1', () => {
    it.each<[string, () => Record<string, unknown> | undefined, RegExp]>([
      [
        'credentials of another account',
        () => {
          sts.on(GetCallerIdentityCommand).resolves({ Account: '999999999999' });
          return undefined;
        },
        /credentials are for account 999999999999, but staging deploys to 111111111111/,
      ],
      [
        'a shell pointed at another region',
        () => {
          vi.stubEnv('AWS_REGION', 'eu-west-1');
          return undefined;
        },
        /your AWS region is eu-west-1, but staging deploys to ap-south-1: set AWS_REGION=ap-south-1/,
      ],
      [
        'an allowed role that does not exist',
        () => {
          iam.on(GetRoleCommand).rejects(new NoSuchEntityException({ message: 'not found', $metadata }));
          return undefined;
        },
        /allowedPrincipals\[0\] arn:aws:iam::111111111111:role\/checkout-service-staging: no such role/,
      ],
      [
        'an allowed role written without its path',
        () => {
          iam.on(GetRoleCommand).resolves({
            Role: {
              RoleName: 'checkout-service-staging',
              Arn: `arn:aws:iam::${ACCOUNT}:role/service/checkout-service-staging`,
              Path: '/service/',
              RoleId: 'AROAEXAMPLE',
              CreateDate: new Date(),
            },
          });
          return undefined;
        },
        /the role named checkout-service-staging is arn:aws:iam::111111111111:role\/service\/checkout-service-staging/,
      ],
      [
        'an allowed user that does not exist',
        () => {
          iam.on(GetUserCommand).rejects(new NoSuchEntityException({ message: 'not found', $metadata }));
          return stagingWith({ allowedPrincipals: [`arn:aws:iam::${ACCOUNT}:user/ci/deployer`] });
        },
        /allowedPrincipals\[0\] arn:aws:iam::111111111111:user\/ci\/deployer: no such user/,
      ],
      [
        'an alarm topic that does not exist',
        () => {
          sns.on(GetTopicAttributesCommand).rejects(new TopicNotFound({ message: 'Topic does not exist', $metadata }));
          return undefined;
        },
        /alarmActionArn arn:aws:sns:ap-south-1:111111111111:payments-oncall-staging: no such SNS topic/,
      ],
      [
        'an imported secret that does not exist',
        () => {
          secrets.on(DescribeSecretCommand).rejects(new SecretNotFound({ message: 'not found', $metadata }));
          return stagingWith(IMPORTED);
        },
        /secretArn .*cashfree-staging-AbCdEf: no such secret/,
      ],
      [
        'an imported secret scheduled for deletion',
        () => {
          secrets.on(DescribeSecretCommand).resolves({
            ARN: SECRET,
            KmsKeyId: KEY,
            DeletedDate: new Date(),
            VersionIdsToStages: { v1: ['AWSCURRENT'] },
          });
          return stagingWith(IMPORTED);
        },
        /secretArn .* is scheduled for deletion/,
      ],
      [
        'an imported secret with no value yet',
        () => {
          secrets.on(DescribeSecretCommand).resolves({ ARN: SECRET, KmsKeyId: KEY, VersionIdsToStages: {} });
          return stagingWith(IMPORTED);
        },
        /secretArn .* has no value yet/,
      ],
      [
        'an imported secret under a disabled key',
        () => {
          kms.on(DescribeKeyCommand).resolves({
            KeyMetadata: { KeyId: 'k', Arn: KEY, KeyState: 'Disabled', KeyManager: 'CUSTOMER' },
          });
          return stagingWith(IMPORTED);
        },
        /the KMS key .* is Disabled: the function could not decrypt the secret/,
      ],
      [
        'an imported secret under another key than kmsKey.arn',
        () => {
          kms.on(DescribeKeyCommand).resolves({
            KeyMetadata: { KeyId: 'k', Arn: OTHER_KEY, KeyState: 'Enabled', KeyManager: 'CUSTOMER' },
          });
          return stagingWith(IMPORTED);
        },
        /kmsKey\.arn .*: the secret is encrypted with .*99999999-12ab.*, so the grant names the wrong key/,
      ],
      [
        'an imported secret under a customer key while kmsKey says aws-managed',
        () => stagingWith({ secretArn: SECRET, kmsKey: 'aws-managed' }),
        /kmsKey: the secret is encrypted with the customer key .*, which only kmsKey: \{ arn: '.*' \} grants/,
      ],
      [
        'an imported key, for the secret the stack creates, pending deletion',
        () => {
          kms.on(DescribeKeyCommand).resolves({
            KeyMetadata: { KeyId: 'k', Arn: KEY, KeyState: 'PendingDeletion', KeyManager: 'CUSTOMER' },
          });
          return stagingWith({ kmsKey: { arn: KEY } });
        },
        /the KMS key .* is PendingDeletion/,
      ],
      [
        'an imported key that does not exist',
        () => {
          kms.on(DescribeKeyCommand).rejects(new KeyNotFound({ message: 'not found', $metadata }));
          return stagingWith({ kmsKey: { arn: KEY } });
        },
        /kmsKey\.arn .*: no such KMS key/,
      ],
      [
        'a reservation the account’s unreserved pool cannot spare (a new account’s quota of 10)',
        () => {
          lambda.on(GetAccountSettingsCommand).resolves({
            AccountLimit: { ConcurrentExecutions: 10, UnreservedConcurrentExecutions: 10 },
          });
          return undefined;
        },
        /reservedConcurrency: the stack reserves 10 of the 10 of the account's 10 not reserved by other functions, leaving 0; Lambda keeps 100 unreserved/,
      ],
      [
        'a reservation that would leave 99 unreserved',
        () => {
          lambda.on(GetAccountSettingsCommand).resolves({
            AccountLimit: { ConcurrentExecutions: 1000, UnreservedConcurrentExecutions: 109 },
          });
          return undefined;
        },
        /leaving 99; Lambda keeps 100 unreserved/,
      ],
      [
        'credentials that may not read IAM',
        () => {
          iam
            .on(GetRoleCommand)
            .rejects(new STSServiceException({ name: 'AccessDenied', $fault: 'client', $metadata, message: 'denied' }));
          return undefined;
        },
        /allowedPrincipals: cannot check, these credentials may not read it \(AccessDenied/,
      ],
    ])('%s', async (_misconfiguration, plant, expected) => {
      const environments = plant();
      const { code, problems } = await staging(environments);
      expect(problems).toEqual([expect.stringMatching(expected)]);
      expect(code).toBe(1);
    });

    it('stops after the account line, so another account’s resources are not reported missing', async () => {
      sts.on(GetCallerIdentityCommand).resolves({ Account: '999999999999' });
      await staging();
      expect([iam, sns, secrets, kms, lambda, cloudFormation].map((mock) => mock.calls().length)).toEqual([
        0, 0, 0, 0, 0, 0,
      ]);
    });

    it('counts a function deleted behind CloudFormation’s back as holding nothing', async () => {
      deployedStack();
      lambda.on(GetFunctionConcurrencyCommand).rejects(new FunctionNotFound({ message: 'gone', $metadata }));
      lambda.on(GetAccountSettingsCommand).resolves({
        AccountLimit: { ConcurrentExecutions: 105, UnreservedConcurrentExecutions: 105 },
      });
      const { problems } = await staging();
      expect(problems).toEqual([expect.stringMatching(/leaving 95/)]);
    });
  });

  describe('the command line', () => {
    it('refuses an unknown environment with the words cdk deploy uses, before any AWS call', async () => {
      const { code, lines } = await run(['-c', 'env=stagin']);
      expect(code).toBe(1);
      expect(lines).toContainEqual(
        expect.stringMatching(/-c env=stagin: no such environment \(did you mean staging\?\)/),
      );
      expect(sts.calls()).toHaveLength(0);
    });

    it('refuses a setting typed as a flag, as the CDK app does', async () => {
      const { code, lines } = await run(['-c', 'env=staging', '--context', 'reservedConcurrency=5']);
      expect(code).toBe(1);
      expect(lines).toContainEqual(expect.stringMatching(/-c reservedConcurrency: unknown context key/));
    });

    it('exits 2 with the usage for an argument it does not know', async () => {
      const { code, lines } = await run(['--env', 'staging']);
      expect(code).toBe(2);
      expect(lines).toEqual([
        'unknown argument --env',
        expect.stringMatching(/^usage: npm run preflight -- -c env=<name>/),
      ]);
    });

    it('checks dev, which pins nothing, in the region and account the credentials point at', async () => {
      vi.stubEnv('AWS_REGION', 'eu-west-1');
      sts.on(GetCallerIdentityCommand).resolves({ Account: '999999999999' });
      const { code, lines } = await run([]);
      expect(code).toBe(0);
      expect(lines).toContainEqual(
        expect.stringMatching(
          /dev is not pinned: it deploys where these credentials point, account 999999999999 in eu-west-1/,
        ),
      );
    });

    it('refuses dev with credentials for an account staging pins, as cdk deploy does', async () => {
      vi.stubEnv('AWS_REGION', 'eu-west-1');
      const { code, problems } = await run([]);
      expect(code).toBe(1);
      expect(problems).toEqual([
        expect.stringMatching(
          /dev is not pinned, and these credentials are for account 111111111111, which staging pins: .*-c env=staging/,
        ),
      ]);
    });

    it('refuses dev when no region is set at all', async () => {
      vi.stubEnv('AWS_REGION', undefined);
      const { code, problems } = await run(['-c', 'env=dev']);
      expect(code).toBe(1);
      expect(problems).toEqual(['problem dev is not pinned and no AWS region is set: set AWS_REGION']);
    });
  });
});

describe('preflight without a reachable AWS (the real SDK clients)', () => {
  beforeEach(isolateFromTheMachine);

  it('says in one line that there are no credentials, and exits 1', async () => {
    const { code, problems } = await staging();
    expect(problems).toEqual([expect.stringMatching(/^problem no AWS credentials found: sign in/)]);
    expect(code).toBe(1);
  });

  it('says in one line that AWS is unreachable when nothing answers, and exits 1', async () => {
    // A port that was free a moment ago: the connection is refused, as on a machine with no route to AWS.
    const port = await deadPort();
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDEXAMPLE');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'not-a-real-secret');
    vi.stubEnv('AWS_ENDPOINT_URL', `http://127.0.0.1:${port}`);
    const { code, problems } = await staging();
    expect(problems).toEqual([expect.stringMatching(/^problem AWS is unreachable from here \(ECONNREFUSED\)/)]);
    expect(code).toBe(1);
  });
});
