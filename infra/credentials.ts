import { RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { type IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { type IKey, Key } from 'aws-cdk-lib/aws-kms';
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { EnvironmentSettings } from './settings.ts';

export type CredentialsProps = Pick<EnvironmentSettings, 'secretArn' | 'kmsKey'>;

/** The Secrets Manager secret holding the Cashfree key pair, created or imported, and the key encrypting it. */
export class Credentials extends Construct {
  readonly secret: ISecret;
  private readonly importedKeyArn: string | undefined;

  constructor(scope: Construct, id: string, { secretArn, kmsKey }: CredentialsProps) {
    super(scope, id);
    let encryptionKey: IKey | undefined;
    if (kmsKey === 'create') {
      encryptionKey = new Key(this, 'Key', {
        description: 'Encrypts the Cashfree API credentials',
        enableKeyRotation: true,
        removalPolicy: RemovalPolicy.RETAIN,
      });
    } else if (kmsKey !== 'aws-managed') {
      this.importedKeyArn = kmsKey.arn;
      encryptionKey = Key.fromKeyArn(this, 'Key', kmsKey.arn);
    }

    if (secretArn) {
      this.secret = Secret.fromSecretAttributes(this, 'Secret', { secretCompleteArn: secretArn, encryptionKey });
      return;
    }
    const secret = new Secret(this, 'Secret', {
      description: 'Cashfree client_id and client_secret as JSON; filled by the operator after the first deploy',
      encryptionKey,
      // Live payment credentials must not vanish with a stack; docs/deploy.md says how to delete them.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Cashfree issues the key pair in its dashboard; no API exists for a rotation Lambda. ' +
        'Rotation is a manual, zero-downtime runbook in docs/runbook.md.',
    });
    this.secret = secret;
  }

  /** Lets `grantee` read the secret, and decrypt it through Secrets Manager only. */
  grantRead(grantee: IGrantable): void {
    // Covers a key this stack creates (through its key policy), but silently not an imported one.
    this.secret.grantRead(grantee);
    if (this.importedKeyArn) {
      grantee.grantPrincipal.addToPrincipalPolicy(
        new PolicyStatement({
          actions: ['kms:Decrypt'],
          resources: [this.importedKeyArn],
          conditions: {
            StringEquals: { 'kms:ViaService': `secretsmanager.${Stack.of(this).region}.amazonaws.com` },
          },
        }),
      );
    }
  }
}
