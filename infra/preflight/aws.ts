import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { IAMClient } from '@aws-sdk/client-iam';
import { KMSClient } from '@aws-sdk/client-kms';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import { STSClient } from '@aws-sdk/client-sts';
import { defaultProvider } from '@aws-sdk/credential-provider-node';

export interface Clients {
  sts: STSClient;
  iam: IAMClient;
  sns: SNSClient;
  secrets: SecretsManagerClient;
  kms: KMSClient;
  lambda: LambdaClient;
  cloudFormation: CloudFormationClient;
}

/** The region the operator's SDK setup resolves to (`AWS_REGION`, the profile), or undefined when none is set. */
export async function resolvedRegion(): Promise<string | undefined> {
  const client = new STSClient({});
  try {
    return await client.config.region();
  } catch {
    return undefined;
  } finally {
    client.destroy();
  }
}

/** One client per service, all in `region` and sharing one credential lookup (one SSO or MFA prompt). */
export function createClients(region: string): Clients {
  const config = {
    region,
    credentials: defaultProvider(),
    // A preflight that hangs on a dead network helps nobody: fail the call and say AWS is unreachable.
    requestHandler: { connectionTimeout: 5_000, requestTimeout: 15_000 },
  };
  return {
    sts: new STSClient(config),
    iam: new IAMClient(config),
    sns: new SNSClient(config),
    secrets: new SecretsManagerClient(config),
    kms: new KMSClient(config),
    lambda: new LambdaClient(config),
    cloudFormation: new CloudFormationClient(config),
  };
}

export function destroyClients(clients: Clients): void {
  for (const client of Object.values(clients)) client.destroy();
}

const CREDENTIAL_ERRORS = [
  'ExpiredToken',
  'ExpiredTokenException',
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'SignatureDoesNotMatch',
  'InvalidSignatureException',
  'TokenRefreshRequired',
];
const NETWORK_CODES = [
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'ENETUNREACH',
  'EHOSTUNREACH',
];
const ACCESS_DENIED = ['AccessDenied', 'AccessDeniedException', 'AuthorizationError', 'AuthorizationErrorException'];

const nameOf = (error: unknown): string => (error instanceof Error ? error.name : String(error));
const codeOf = (error: unknown): string | undefined =>
  typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined;

/**
 * Why no AWS call can succeed from here (no credentials, refused credentials, no network), as one line for
 * the operator, or undefined for an error that concerns only the call that got it.
 */
export function unreachable(error: unknown): string | undefined {
  const name = nameOf(error);
  if (name === 'CredentialsProviderError') {
    return 'no AWS credentials found: sign in (aws sso login, a profile in AWS_PROFILE, or AWS_ACCESS_KEY_ID) and run preflight again';
  }
  if (CREDENTIAL_ERRORS.includes(name))
    return `AWS refused the credentials (${name}): refresh them and run preflight again`;
  const code = codeOf(error);
  if ((code && NETWORK_CODES.includes(code)) || name === 'TimeoutError') {
    return `AWS is unreachable from here (${code ?? name}): check the network or proxy and run preflight again`;
  }
  return undefined;
}

export const isAccessDenied = (error: unknown): boolean => ACCESS_DENIED.includes(nameOf(error));
export const isNamed = (error: unknown, ...names: string[]): boolean => names.includes(nameOf(error));
export { nameOf };
