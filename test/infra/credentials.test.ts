import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { ENV } from '../../lambda/config.ts';
import { cryptogramFunctionId, logicalIdOf, propertiesOf, synthesize } from './synth.ts';

const SECRET_ARN = 'arn:aws:secretsmanager:ap-south-1:111111111111:secret:cashfree-credentials-AbCdEf';
const KEY_ARN = 'arn:aws:kms:ap-south-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab';

describe('the secret dev creates', () => {
  const { template } = synthesize('dev');

  it('is created for the operator to fill, survives a stack deletion and uses the AWS-managed key', () => {
    template.hasResource('AWS::SecretsManager::Secret', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: Match.objectLike({ KmsKeyId: Match.absent() }),
    });
  });
});

describe('the secret prod creates under its own key', () => {
  const { template } = synthesize('prod');
  const keyId = logicalIdOf(template, 'AWS::KMS::Key');
  const roleId = propertiesOf(template, 'AWS::Lambda::Function', cryptogramFunctionId(template)).Role['Fn::GetAtt'][0];

  it('encrypts the secret with a rotating key that outlives the stack', () => {
    template.hasResource('AWS::KMS::Key', {
      Properties: Match.objectLike({ EnableKeyRotation: true }),
      DeletionPolicy: 'Retain',
    });
    template.hasResourceProperties('AWS::SecretsManager::Secret', { KmsKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });
  });

  it('lets the function decrypt with that key through Secrets Manager only', () => {
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          {
            Effect: 'Allow',
            Principal: { AWS: { 'Fn::GetAtt': [roleId, 'Arn'] } },
            Action: 'kms:Decrypt',
            Resource: '*',
            Condition: { StringEquals: { 'kms:ViaService': 'secretsmanager.ap-south-1.amazonaws.com' } },
          },
        ]),
      },
    });
  });
});

describe('an imported secret with its customer-managed key (staging settings changed)', () => {
  const { template } = synthesize('staging', { secretArn: SECRET_ARN, kmsKey: { arn: KEY_ARN } });

  it('creates no secret and points the function at the given one', () => {
    expect(template.findResources('AWS::SecretsManager::Secret')).toEqual({});
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ [ENV.secretId]: SECRET_ARN }) },
    });
  });

  it('lets the function read that secret and decrypt with that key through Secrets Manager only', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: Match.arrayWith(['secretsmanager:GetSecretValue']), Resource: SECRET_ARN }),
          {
            Effect: 'Allow',
            Action: 'kms:Decrypt',
            Resource: KEY_ARN,
            Condition: { StringEquals: { 'kms:ViaService': 'secretsmanager.ap-south-1.amazonaws.com' } },
          },
        ]),
      },
    });
  });
});
