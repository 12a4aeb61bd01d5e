import { randomBytes } from 'node:crypto';
import { ENV } from '../lambda/config.ts';
import {
  type CashfreeSimulator,
  type CashfreeSimulatorOptions,
  type SimulatorCredentials,
  startCashfreeSimulator,
} from './cashfree-simulator.ts';
import { type SecretsManagerStandIn, startSecretsManagerStandIn } from './secrets-manager-stand-in.ts';

export const LOCAL_SECRET_ID = 'cryptogram-service/cashfree';

export interface EmbeddedUpstreams {
  cashfree: CashfreeSimulator;
  secretsManager: SecretsManagerStandIn;
  /** The credentials Cashfree accepts now, also stored in the secret. */
  credentials: SimulatorCredentials;
  /** The environment that points the real handler at both. */
  env: Record<string, string>;
  /** New credentials in Cashfree and the secret at once; the old ones are refused from now on. */
  rotate(): SimulatorCredentials;
  close(): Promise<void>;
}

export function newCredentials(): SimulatorCredentials {
  return {
    clientId: `TEST${randomBytes(8).toString('hex')}`,
    clientSecret: `cfsk_ma_test_${randomBytes(24).toString('hex')}`,
  };
}

/** Points the real AWS SDK at the stand-in through its own setting, with a key pair it can sign with. */
export function standInAwsEnv(endpoint: string): Record<string, string> {
  return {
    AWS_ENDPOINT_URL_SECRETS_MANAGER: endpoint,
    AWS_REGION: process.env.AWS_REGION ?? 'us-east-1',
    // The SDK signs every request; the stand-in ignores the signature, so any key pair will do.
    AWS_ACCESS_KEY_ID: 'AKIALOCALSTANDIN',
    AWS_SECRET_ACCESS_KEY: 'local-stand-in-accepts-any-signature',
  };
}

export const secretString = (credentials: SimulatorCredentials) =>
  JSON.stringify({ client_id: credentials.clientId, client_secret: credentials.clientSecret });

/** The Cashfree simulator and the Secrets Manager stand-in, wired to each other with fresh credentials. */
export async function startEmbeddedUpstreams(
  options: Omit<CashfreeSimulatorOptions, 'credentials'> = {},
): Promise<EmbeddedUpstreams> {
  let credentials = newCredentials();
  const secretsManager = await startSecretsManagerStandIn();
  secretsManager.setSecret(LOCAL_SECRET_ID, secretString(credentials));
  const cashfree = await startCashfreeSimulator({ ...options, credentials });

  return {
    cashfree,
    secretsManager,
    get credentials() {
      return credentials;
    },
    env: {
      [ENV.secretId]: LOCAL_SECRET_ID,
      [ENV.baseUrl]: cashfree.baseUrl,
      ...standInAwsEnv(secretsManager.url),
    },
    rotate() {
      credentials = newCredentials();
      secretsManager.setSecret(LOCAL_SECRET_ID, secretString(credentials));
      cashfree.rotateCredentials(credentials);
      return credentials;
    },
    async close() {
      await Promise.all([cashfree.close(), secretsManager.close()]);
    },
  };
}
