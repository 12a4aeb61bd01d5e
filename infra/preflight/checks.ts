import { paginateListStackResources } from '@aws-sdk/client-cloudformation';
import { GetRoleCommand, GetUserCommand } from '@aws-sdk/client-iam';
import { DescribeKeyCommand, type KeyMetadata } from '@aws-sdk/client-kms';
import { GetAccountSettingsCommand, GetFunctionConcurrencyCommand } from '@aws-sdk/client-lambda';
import { DescribeSecretCommand, type DescribeSecretCommandOutput } from '@aws-sdk/client-secrets-manager';
import { GetTopicAttributesCommand } from '@aws-sdk/client-sns';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { ARN_KINDS, type ArnKind, arnParts } from '../arns.ts';
import { environmentPinning } from '../context.ts';
import { type Clients, isAccessDenied, isNamed, nameOf, unreachable } from './aws.ts';
import type { Target } from './target.ts';

export type Level = 'ok' | 'note' | 'problem';
/** One line of the report. A problem is something `cdk deploy` or the first release would fail on. */
export interface Finding {
  level: Level;
  text: string;
}

/** Lambda refuses a reservation that leaves fewer unreserved executions than this for all other functions. */
const MIN_UNRESERVED_CONCURRENCY = 100;

const ok = (text: string): Finding => ({ level: 'ok', text });
const note = (text: string): Finding => ({ level: 'note', text });
const problem = (text: string): Finding => ({ level: 'problem', text });

interface Scope {
  target: Target;
  clients: Clients;
  account: string;
  region: string;
}

/**
 * Asks AWS, with the operator's credentials, about everything the environment's settings name and
 * CloudFormation would otherwise trip over minutes into a deploy. Stops after one line when no AWS call can
 * work (no credentials, no network) or the credentials belong to another account than the environment's.
 */
export async function runChecks(
  target: Target,
  clients: Clients,
  region: string,
  operatorRegion: string | undefined,
): Promise<Finding[]> {
  let account: string;
  try {
    account = (await clients.sts.send(new GetCallerIdentityCommand({}))).Account ?? '';
  } catch (error) {
    return [problem(unreachable(error) ?? `cannot tell whose credentials these are: ${nameOf(error)}`)];
  }
  const identity = whereFindings(target, account, region, operatorRegion);
  // In the wrong account every lookup below would only report that account's resources as missing.
  const pinned = target.settings.account;
  if (pinned === undefined ? environmentPinning(target.environments, account) : pinned !== account) return identity;

  const scope: Scope = { target, clients, account, region };
  const groups = await Promise.all([
    guarded('allowedPrincipals', () => principalFindings(scope)),
    guarded('alarmActionArn', () => topicFindings(scope)),
    guarded('secret', () => secretFindings(scope)),
    guarded('reservedConcurrency', () => concurrencyFindings(scope)),
  ]);
  // Should the network drop half-way, every check would say so; once is enough.
  const seen = new Set<string>();
  return [...identity, ...groups.flat()].filter(({ text }) => {
    if (seen.has(text)) return false;
    seen.add(text);
    return true;
  });
}

function whereFindings(target: Target, account: string, region: string, operatorRegion?: string): Finding[] {
  const { name, settings } = target;
  if (settings.account === undefined) {
    // `cdk deploy` learns the account from the CDK CLI and refuses this (infra/context.ts); preflight learns it here.
    const owner = environmentPinning(target.environments, account);
    if (owner !== undefined) {
      return [
        problem(
          `${name} is not pinned, and these credentials are for account ${account}, which ${owner} pins: ` +
            `cdk deploy refuses to put ${name} there; run with -c env=${owner}, or use credentials for an account of your own`,
        ),
      ];
    }
    return [note(`${name} is not pinned: it deploys where these credentials point, account ${account} in ${region}`)];
  }
  if (account !== settings.account) {
    return [
      problem(
        `these credentials are for account ${account}, but ${name} deploys to ${settings.account}: ` +
          'sign in to that account and run preflight again',
      ),
    ];
  }
  if (operatorRegion !== undefined && operatorRegion !== settings.region) {
    return [
      problem(
        `your AWS region is ${operatorRegion}, but ${name} deploys to ${settings.region}: set AWS_REGION=${settings.region}, ` +
          'or the aws commands of docs/deploy.md (filling the secret, watching the release) go to the wrong region',
      ),
    ];
  }
  return [ok(`account ${account} and region ${region}, as ${name} pins them`)];
}

/** Runs one check; an error of AWS's becomes that check's one line instead of ending the run. */
async function guarded(what: string, check: () => Promise<Finding[]>): Promise<Finding[]> {
  try {
    return await check();
  } catch (error) {
    const reason = unreachable(error);
    if (reason) return [problem(reason)];
    if (isAccessDenied(error)) {
      return [
        problem(
          `${what}: cannot check, these credentials may not read it (${nameOf(error)}; docs/preflight.md lists the permissions)`,
        ),
      ];
    }
    return [problem(`${what}: cannot check (${nameOf(error)})`)];
  }
}

/** Account and region of an ARN setting, or a finding when preflight cannot or need not look it up. */
function locate(scope: Scope, setting: string, arn: string, kind: ArnKind): { account: string } | Finding {
  const parts = arnParts(kind, arn);
  if (!parts) return problem(`${setting} ${arn}: not ${kind.what}`);
  if (parts.region !== scope.region) {
    return problem(`${setting} ${arn} is in ${parts.region}, but the stack deploys to ${scope.region}`);
  }
  if (parts.account !== scope.account) {
    return note(`${setting} ${arn} is in account ${parts.account}: preflight cannot look there; make sure it exists`);
  }
  return parts;
}

const PRINCIPAL_ARN = /^arn:[\w-]+:iam::(\d{12}):(root|role|user)(?:\/(.+))?$/;

async function principalFindings({ target, clients, account }: Scope): Promise<Finding[]> {
  const { allowedPrincipals } = target.settings;
  if (allowedPrincipals.length === 0) return [ok('allowedPrincipals is empty: only this account may invoke')];
  return Promise.all(
    allowedPrincipals.map(async (entry, index): Promise<Finding> => {
      const label = `allowedPrincipals[${index}] ${entry}`;
      const [, owner = entry, kind = 'root', path = ''] = PRINCIPAL_ARN.exec(entry) ?? [];
      if (owner !== account) {
        return note(`${label}: in account ${owner}, which preflight cannot look into; make sure it exists`);
      }
      if (kind === 'root') return ok(`${label}: this account`);
      const name = path.split('/').pop() ?? path;
      try {
        const found =
          kind === 'role'
            ? (await clients.iam.send(new GetRoleCommand({ RoleName: name }))).Role?.Arn
            : (await clients.iam.send(new GetUserCommand({ UserName: name }))).User?.Arn;
        if (found === entry) return ok(`${label} exists`);
        // A resource policy matches the exact ARN: the same name under another path is another principal.
        return problem(`${label}: the ${kind} named ${name} is ${found}; write that ARN, path included`);
      } catch (error) {
        if (!isNamed(error, 'NoSuchEntityException')) throw error;
        return problem(`${label}: no such ${kind}; API Gateway refuses a resource policy that names it`);
      }
    }),
  );
}

async function topicFindings(scope: Scope): Promise<Finding[]> {
  const arn = scope.target.settings.alarmActionArn;
  if (arn === undefined) return [note('alarmActionArn is unset: the alarms stop a bad release but page nobody')];
  const where = locate(scope, 'alarmActionArn', arn, ARN_KINDS.snsTopic);
  if ('level' in where) return [where];
  try {
    await scope.clients.sns.send(new GetTopicAttributesCommand({ TopicArn: arn }));
    return [ok(`alarmActionArn ${arn} exists`)];
  } catch (error) {
    if (!isNamed(error, 'NotFoundException', 'NotFound')) throw error;
    return [problem(`alarmActionArn ${arn}: no such SNS topic, so no alarm could page anyone`)];
  }
}

async function describeKey(scope: Scope, keyId: string): Promise<KeyMetadata | undefined> {
  try {
    return (await scope.clients.kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata;
  } catch (error) {
    if (isNamed(error, 'NotFoundException')) return undefined;
    throw error;
  }
}

const keyStateProblem = (key: KeyMetadata): Finding | undefined =>
  key.KeyState === 'Enabled'
    ? undefined
    : problem(`the KMS key ${key.Arn} is ${key.KeyState}: the function could not decrypt the secret with it`);

async function secretFindings(scope: Scope): Promise<Finding[]> {
  const { secretArn, kmsKey } = scope.target.settings;
  const configuredKey = typeof kmsKey === 'object' ? kmsKey.arn : undefined;
  if (secretArn === undefined) {
    // The stack creates the secret; only a key it imports can already be wrong.
    if (configuredKey === undefined) return [];
    const where = locate(scope, 'kmsKey.arn', configuredKey, ARN_KINDS.kmsKey);
    if ('level' in where) return [where];
    const key = await describeKey(scope, configuredKey);
    if (!key) return [problem(`kmsKey.arn ${configuredKey}: no such KMS key`)];
    return [keyStateProblem(key) ?? ok(`kmsKey.arn ${configuredKey} is enabled`)];
  }

  const where = locate(scope, 'secretArn', secretArn, ARN_KINDS.secret);
  if ('level' in where) return [where];
  let secret: DescribeSecretCommandOutput;
  try {
    secret = await scope.clients.secrets.send(new DescribeSecretCommand({ SecretId: secretArn }));
  } catch (error) {
    if (!isNamed(error, 'ResourceNotFoundException')) throw error;
    return [problem(`secretArn ${secretArn}: no such secret`)];
  }
  if (secret.DeletedDate) {
    return [
      problem(`secretArn ${secretArn} is scheduled for deletion: restore it (aws secretsmanager restore-secret)`),
    ];
  }
  const findings: Finding[] = [];
  const stages = Object.values(secret.VersionIdsToStages ?? {}).flat();
  if (!stages.includes('AWSCURRENT')) {
    findings.push(problem(`secretArn ${secretArn} has no value yet: put the Cashfree key pair in (docs/deploy.md)`));
  }

  // Secrets Manager leaves KmsKeyId out for its AWS-managed key; a key id or alias is resolved to the key.
  const key = secret.KmsKeyId === undefined ? undefined : await describeKey(scope, secret.KmsKeyId);
  if (secret.KmsKeyId !== undefined && !key) {
    findings.push(problem(`secretArn ${secretArn} is encrypted with ${secret.KmsKeyId}, which is not a key any more`));
  } else if (key === undefined || key.KeyManager === 'AWS') {
    if (configuredKey)
      findings.push(note(`kmsKey.arn: the secret uses the AWS-managed key, so that key grant is unused`));
  } else if (configuredKey === undefined) {
    findings.push(
      problem(
        `kmsKey: the secret is encrypted with the customer key ${key.Arn}, which only kmsKey: { arn: '${key.Arn}' } grants`,
      ),
    );
  } else if (key.Arn !== configuredKey) {
    findings.push(
      problem(`kmsKey.arn ${configuredKey}: the secret is encrypted with ${key.Arn}, so the grant names the wrong key`),
    );
  } else {
    const state = keyStateProblem(key);
    if (state) findings.push(state);
  }
  if (findings.length === 0) findings.push(ok(`secretArn ${secretArn} exists, holds a value and its key is enabled`));
  return findings;
}

/** The physical name of each of the stack's resources already deployed, by logical id; empty before the first. */
async function deployedResources(scope: Scope): Promise<Map<string, string>> {
  const deployed = new Map<string, string>();
  try {
    const pages = paginateListStackResources(
      { client: scope.clients.cloudFormation },
      { StackName: scope.target.stackName },
    );
    for await (const page of pages) {
      for (const { LogicalResourceId, PhysicalResourceId } of page.StackResourceSummaries ?? []) {
        if (LogicalResourceId && PhysicalResourceId) deployed.set(LogicalResourceId, PhysicalResourceId);
      }
    }
  } catch (error) {
    // CloudFormation's word for a stack that does not exist yet.
    if (!(isNamed(error, 'ValidationError') && /does not exist/.test(String((error as Error).message)))) throw error;
  }
  return deployed;
}

async function concurrencyFindings(scope: Scope): Promise<Finding[]> {
  const { settings, functions } = scope.target;
  // With a reservation, provisioned instances come out of it; without one, out of the unreserved pool.
  const provisioned = settings.reservedConcurrency === 'none' ? (settings.provisionedConcurrency?.max ?? 0) : 0;
  const wanted = functions.reduce((sum, fn) => sum + fn.reservedConcurrency, provisioned);
  if (wanted === 0) return [ok('reservedConcurrency: the stack reserves no concurrency')];

  const { AccountLimit } = await scope.clients.lambda.send(new GetAccountSettingsCommand({}));
  const unreserved = AccountLimit?.UnreservedConcurrentExecutions ?? 0;
  // On a redeploy the stack's functions already hold their reservation, and the pool above has it taken out.
  const deployed = await deployedResources(scope);
  const held = await Promise.all(
    functions.map(async ({ logicalId }) => {
      const name = deployed.get(logicalId);
      if (name === undefined) return 0;
      try {
        const current = await scope.clients.lambda.send(new GetFunctionConcurrencyCommand({ FunctionName: name }));
        return current.ReservedConcurrentExecutions ?? 0;
      } catch (error) {
        if (isNamed(error, 'ResourceNotFoundException')) return 0;
        throw error;
      }
    }),
  );
  const alreadyHeld = held.reduce((sum, count) => sum + count, 0);
  const left = unreserved + alreadyHeld - wanted;
  const pool = `${unreserved + alreadyHeld} of the account's ${AccountLimit?.ConcurrentExecutions ?? '?'}`;
  if (left < MIN_UNRESERVED_CONCURRENCY) {
    return [
      problem(
        `reservedConcurrency: the stack reserves ${wanted} of the ${pool} not reserved by other functions, leaving ${left}; ` +
          `Lambda keeps ${MIN_UNRESERVED_CONCURRENCY} unreserved: lower it or ask for a higher Lambda concurrency quota`,
      ),
    ];
  }
  return [
    ok(
      `reservedConcurrency: reserving ${wanted} leaves ${left} unreserved (Lambda needs ${MIN_UNRESERVED_CONCURRENCY})`,
    ),
  ];
}
