import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { ENV } from '../../lambda/config.ts';
import { logicalIdOf, propertiesOf, synthesize } from './synth.ts';

const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:cashfree-credentials-AbCdEf';
const KEY_ARN = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const ENDPOINTS = ['vpce-0123456789abcdef0', 'vpce-0fedcba9876543210'];
const CALLER_ROLE = 'arn:aws:iam::444455556666:role/payments-checkout';
const ALARM_TOPIC = 'arn:aws:sns:eu-west-1:111122223333:payments-oncall';
const WEB_ACL = 'arn:aws:wafv2:eu-west-1:111122223333:regional/webacl/payments/0a1b2c3d';

// Context values arrive from `cdk -c key=value` as strings, so the tests pass them that way.
describe('an existing secret with its customer-managed key, behind a private endpoint', () => {
  const { template } = synthesize({
    secretArn: SECRET_ARN,
    kmsKeyArn: KEY_ARN,
    endpointType: 'private',
    vpcEndpointIds: ENDPOINTS.join(','),
    allowedPrincipals: `111122223333,${CALLER_ROLE}`,
    alarmActionArn: ALARM_TOPIC,
    cashfreeEnvironment: 'production',
    cashfreeApiVersion: '2023-08-01',
    cashfreeBaseUrl: 'https://cashfree-proxy.internal.example.com/pg',
    credentialsTtlSeconds: '120',
  });

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
            Condition: {
              StringEquals: {
                'kms:ViaService': { 'Fn::Join': ['', ['secretsmanager.', { Ref: 'AWS::Region' }, '.amazonaws.com']] },
              },
            },
          },
        ]),
      },
    });
  });

  it('passes the Cashfree context values to the function', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          [ENV.environment]: 'production',
          [ENV.apiVersion]: '2023-08-01',
          [ENV.baseUrl]: 'https://cashfree-proxy.internal.example.com/pg',
          [ENV.credentialsTtlSeconds]: '120',
        }),
      },
    });
  });

  it('serves a private endpoint reachable only through the given VPC endpoints', () => {
    template.hasResourceProperties('AWS::ApiGateway::RestApi', {
      EndpointConfiguration: { Types: ['PRIVATE'], VpcEndpointIds: ENDPOINTS },
      Policy: {
        Statement: Match.arrayWith([
          {
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Action: 'execute-api:Invoke',
            Resource: 'execute-api:/*',
            Condition: { StringNotEquals: { 'aws:SourceVpce': ENDPOINTS } },
          },
        ]),
      },
    });
  });

  it('lets exactly the listed account and role invoke the API', () => {
    template.hasResourceProperties('AWS::ApiGateway::RestApi', {
      Policy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: {
              AWS: [CALLER_ROLE, { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::111122223333:root']] }],
            },
          }),
          Match.objectLike({
            Effect: 'Deny',
            Condition: {
              StringNotLike: {
                'aws:PrincipalArn': [
                  { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::111122223333:*']] },
                  CALLER_ROLE,
                ],
              },
            },
          }),
        ]),
      },
    });
  });

  it('sends every alarm to the configured action', () => {
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
    expect(alarms.map((alarm) => alarm.Properties.AlarmActions)).toEqual(alarms.map(() => [ALARM_TOPIC]));
  });
});

describe('a created secret under a new customer-managed key, with a WAF web ACL', () => {
  const { template } = synthesize({
    createKmsKey: 'true',
    wafWebAclArn: WEB_ACL,
    throttleRateLimit: '20',
    throttleBurstLimit: '40',
    reservedConcurrency: 'none',
    createApiGatewayAccountRole: 'false',
  });
  const keyId = logicalIdOf(template, 'AWS::KMS::Key');
  const functionId = logicalIdOf(template, 'AWS::Lambda::Function');
  const roleId = propertiesOf(template, 'AWS::Lambda::Function', functionId).Role['Fn::GetAtt'][0];

  it('encrypts the secret with a rotating key of its own', () => {
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
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
            Condition: { StringEquals: { 'kms:ViaService': Match.anyValue() } },
          },
        ]),
      },
    });
  });

  it('associates the stage with the web ACL', () => {
    const stageId = logicalIdOf(template, 'AWS::ApiGateway::Stage');
    template.hasResourceProperties('AWS::WAFv2::WebACLAssociation', {
      WebACLArn: WEB_ACL,
      ResourceArn: { 'Fn::Join': ['', Match.arrayWith([{ Ref: stageId }])] },
    });
  });

  it('applies the configured throttling and leaves concurrency unreserved when asked', () => {
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      MethodSettings: [Match.objectLike({ ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 })],
    });
    expect(propertiesOf(template, 'AWS::Lambda::Function', functionId).ReservedConcurrentExecutions).toBeUndefined();
  });

  it('leaves the account-wide API Gateway logging role alone when told the account has one', () => {
    expect(template.findResources('AWS::ApiGateway::Account')).toEqual({});
  });
});

describe('bad context', () => {
  it('fails the synthesis naming every bad value', () => {
    expect(() =>
      synthesize({
        endpointType: 'private',
        throttleRateLimit: 'fast',
        cashfreeEnvironment: 'live',
        cashfreeBaseUrl: 'http://cashfree.example.com/pg',
        allowedPrincipals: 'everyone',
      }),
    ).toThrow(
      new RegExp(
        [
          'endpointType=private needs vpcEndpointIds',
          'allowedPrincipals: everyone',
          'throttleRateLimit must be a whole number',
          `${ENV.environment} must be one of`,
          `${ENV.baseUrl} must use https`,
        ].join('.*'),
      ),
    );
  });
});
