import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { GATEWAY_REFUSALS } from '../../api/gateway-responses.ts';
import { logicalIdOf, propertiesOf, synthesize } from './synth.ts';

const { template } = synthesize('dev');
const apiId = logicalIdOf(template, 'AWS::ApiGateway::RestApi');
const stageId = logicalIdOf(template, 'AWS::ApiGateway::Stage');
const aliasId = logicalIdOf(template, 'AWS::Lambda::Alias');
const ONE_YEAR_DAYS = 365;

describe('the REST API', () => {
  it('is a regional endpoint by default', () => {
    template.hasResourceProperties('AWS::ApiGateway::RestApi', { EndpointConfiguration: { Types: ['REGIONAL'] } });
  });

  it('has exactly one method: GET on /customers/{customer_id}/instruments/{instrument_id}/cryptogram', () => {
    const pathOf = (id: string): string => {
      const { ParentId, PathPart } = propertiesOf(template, 'AWS::ApiGateway::Resource', id);
      return ParentId.Ref ? `${pathOf(ParentId.Ref)}/${PathPart}` : `/${PathPart}`;
    };
    const methods = Object.values(template.findResources('AWS::ApiGateway::Method')).map(
      (method) => `${method.Properties.HttpMethod} ${pathOf(method.Properties.ResourceId.Ref)}`,
    );
    expect(methods).toEqual(['GET /customers/{customer_id}/instruments/{instrument_id}/cryptogram']);
  });

  it('requires AWS_IAM authorization and both path parameters, checked by a validator', () => {
    const validatorId = logicalIdOf(template, 'AWS::ApiGateway::RequestValidator');
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      AuthorizationType: 'AWS_IAM',
      RequestParameters: { 'method.request.path.customer_id': true, 'method.request.path.instrument_id': true },
      RequestValidatorId: { Ref: validatorId },
    });
    template.hasResourceProperties('AWS::ApiGateway::RequestValidator', { ValidateRequestParameters: true });
  });

  it('invokes the live alias through a Lambda proxy integration, never $LATEST', () => {
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      Integration: {
        Type: 'AWS_PROXY',
        IntegrationHttpMethod: 'POST',
        Uri: { 'Fn::Join': ['', Match.arrayWith([{ Ref: aliasId }])] },
      },
    });
  });

  it('may invoke only the alias, and only for the one GET method of its stage', () => {
    const permissions = Object.values(
      template.findResources('AWS::Lambda::Permission', {
        Properties: { Principal: 'apigateway.amazonaws.com' },
      }),
    );
    expect(permissions.map((p) => p.Properties.FunctionName)).toEqual([{ Ref: aliasId }]);
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      FunctionName: { Ref: aliasId },
      SourceArn: {
        'Fn::Join': [
          '',
          Match.arrayWith([{ Ref: apiId }, { Ref: stageId }, '/GET/customers/*/instruments/*/cryptogram']),
        ],
      },
    });
  });

  it('lets only the deploying account invoke it, even against an IAM policy of the same account', () => {
    const accountArn = (suffix: string) => ({
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, `:${suffix}`]],
    });
    template.hasResourceProperties('AWS::ApiGateway::RestApi', {
      Policy: {
        Statement: [
          {
            Effect: 'Allow',
            Principal: { AWS: accountArn('root') },
            Action: 'execute-api:Invoke',
            Resource: 'execute-api:/v1/GET/customers/*/instruments/*/cryptogram',
          },
          {
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Action: 'execute-api:Invoke',
            Resource: 'execute-api:/*',
            Condition: { StringNotLike: { 'aws:PrincipalArn': [accountArn('*')] } },
          },
        ],
      },
    });
  });
});

describe("API Gateway's own refusals", () => {
  const responses = Object.values(template.findResources('AWS::ApiGateway::GatewayResponse')).map(
    (resource) => resource.Properties,
  );

  it.each(Object.values(GATEWAY_REFUSALS))(
    '$type answers { message, code: "$code", requestId } as uncacheable JSON, with no x-request-id header',
    (refusal) => {
      const response = responses.find((r) => r.ResponseType === refusal.type);
      expect(response).toBeDefined();
      expect(response.ResponseTemplates).toEqual({
        'application/json': `{"message":$context.error.messageString,"code":"${refusal.code}","requestId":"$context.requestId"}`,
      });
      expect(response.ResponseParameters).toEqual({
        'gatewayresponse.header.content-type': "'application/json'",
        'gatewayresponse.header.cache-control': "'no-store'",
        ...('retryAfterSeconds' in refusal && {
          'gatewayresponse.header.retry-after': `'${refusal.retryAfterSeconds}'`,
        }),
      });
      const ownStatus = refusal.type === 'DEFAULT_4XX' || refusal.type === 'DEFAULT_5XX';
      expect(response.StatusCode).toBe(ownStatus ? undefined : String(refusal.status));
    },
  );

  it('maps every header from a quoted literal, the one source AWS documents besides method.request values', () => {
    for (const response of responses) {
      for (const value of Object.values(response.ResponseParameters)) expect(value).toMatch(/^'[^']*'$/);
    }
  });

  it('covers every entry of the shared table and nothing else', () => {
    expect(responses.map((r) => r.ResponseType).sort()).toEqual(
      Object.values(GATEWAY_REFUSALS)
        .map((r) => r.type)
        .sort(),
    );
  });

  it('answers a Lambda throttle or failed invoke with 503 and Retry-After', () => {
    expect(responses.find((r) => r.ResponseType === 'INTEGRATION_FAILURE')).toMatchObject({
      StatusCode: '503',
      ResponseParameters: { 'gatewayresponse.header.retry-after': "'1'" },
    });
  });
});

describe('the stage', () => {
  const stage = () => propertiesOf(template, 'AWS::ApiGateway::Stage', stageId);

  it('throttles every method, logs errors without data tracing, caches nothing and traces with X-Ray', () => {
    expect(stage().MethodSettings).toEqual([
      expect.objectContaining({
        HttpMethod: '*',
        ResourcePath: '/*',
        ThrottlingRateLimit: 5,
        ThrottlingBurstLimit: 10,
        LoggingLevel: 'ERROR',
        DataTraceEnabled: false,
        CachingEnabled: false,
      }),
    ]);
    expect(stage()).toMatchObject({ CacheClusterEnabled: false, TracingEnabled: true });
  });

  it('writes JSON access logs to their own log group kept for at least a year', () => {
    const { DestinationArn } = stage().AccessLogSetting;
    const logGroupRef =
      DestinationArn['Fn::GetAtt']?.[0] ??
      DestinationArn['Fn::Join'][1].find((part: { Ref?: string }) => part.Ref && !part.Ref.startsWith('AWS::'))?.Ref;
    expect(propertiesOf(template, 'AWS::Logs::LogGroup', logGroupRef).RetentionInDays).toBeGreaterThanOrEqual(
      ONE_YEAR_DAYS,
    );
  });

  it('keeps its execution logs for at least a year in a group created before the stage', () => {
    const groups = template.findResources('AWS::Logs::LogGroup', {
      Properties: { LogGroupName: { 'Fn::Join': ['', ['API-Gateway-Execution-Logs_', { Ref: apiId }, '/v1']] } },
    });
    const [groupId, group] = Object.entries(groups)[0] ?? [];
    expect(group?.Properties.RetentionInDays).toBeGreaterThanOrEqual(ONE_YEAR_DAYS);
    template.hasResource('AWS::ApiGateway::Stage', { DependsOn: Match.arrayWith([groupId]) });
  });

  it('logs the ids that join it to the function log: API request id, Lambda request id and trace id', () => {
    const fields = JSON.parse(stage().AccessLogSetting.Format);
    expect(fields).toMatchObject({
      apiRequestId: '$context.requestId',
      awsRequestId: '$context.integration.requestId',
      xrayTraceId: '$context.xrayTraceId',
      caller: '$context.identity.caller',
      userArn: '$context.identity.userArn',
      status: '$context.status',
      errorType: '$context.error.responseType',
      integrationError: '$context.integrationErrorMessage',
    });
    expect(stage().AccessLogSetting.Format).not.toMatch(
      /\$input|body|requestOverride|responseOverride|\$context\.path/i,
    );
  });
});

describe('a private API with named callers and a WAF web ACL (staging settings changed)', () => {
  const ENDPOINTS = ['vpce-0123456789abcdef0', 'vpce-0fedcba9876543210'];
  const CALLER = 'arn:aws:iam::444455556666:role/payments-checkout';
  const WEB_ACL = 'arn:aws:wafv2:ap-south-1:111111111111:regional/webacl/payments/0a1b2c3d';
  const { template: staging } = synthesize('staging', {
    endpoint: { vpcEndpointIds: ENDPOINTS },
    allowedPrincipals: ['111111111111', CALLER],
    wafWebAclArn: WEB_ACL,
    throttle: { rateLimit: 20, burstLimit: 40 },
    createApiGatewayAccountRole: false,
    heartbeat: { enabled: false },
  });

  it('serves a private endpoint reachable only through the given VPC endpoints', () => {
    staging.hasResourceProperties('AWS::ApiGateway::RestApi', {
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
    staging.hasResourceProperties('AWS::ApiGateway::RestApi', {
      Policy: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Allow', Principal: { AWS: ['arn:aws:iam::111111111111:root', CALLER] } }),
          Match.objectLike({
            Effect: 'Deny',
            Condition: { StringNotLike: { 'aws:PrincipalArn': ['arn:aws:iam::111111111111:*', CALLER] } },
          }),
        ]),
      },
    });
  });

  it('associates the stage with the web ACL and applies the throttling', () => {
    const id = logicalIdOf(staging, 'AWS::ApiGateway::Stage');
    staging.hasResourceProperties('AWS::WAFv2::WebACLAssociation', {
      WebACLArn: WEB_ACL,
      ResourceArn: { 'Fn::Join': ['', Match.arrayWith([{ Ref: id }])] },
    });
    staging.hasResourceProperties('AWS::ApiGateway::Stage', {
      MethodSettings: [Match.objectLike({ ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 })],
    });
  });

  it('leaves the account-wide API Gateway logging role alone when told the account has one', () => {
    expect(staging.findResources('AWS::ApiGateway::Account')).toEqual({});
  });
});
