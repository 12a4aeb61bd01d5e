import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { DEFAULTS, ENV } from '../../lambda/config.ts';
import { METRIC, METRIC_DIMENSION, METRIC_NAMESPACE } from '../../lambda/telemetry.ts';
import { logicalIdOf, propertiesOf, synthesize } from './synth.ts';

// One synthesis (with real bundling) for the whole file: it takes seconds.
const { app, template } = synthesize();
const functionId = logicalIdOf(template, 'AWS::Lambda::Function');
const secretId = logicalIdOf(template, 'AWS::SecretsManager::Secret');
const apiId = logicalIdOf(template, 'AWS::ApiGateway::RestApi');
const stageId = logicalIdOf(template, 'AWS::ApiGateway::Stage');
const roleOfFunction = propertiesOf(template, 'AWS::Lambda::Function', functionId).Role['Fn::GetAtt'][0];
const API_INTEGRATION_TIMEOUT_SECONDS = 29;
const ONE_YEAR_DAYS = 365;

type Statement = { Effect: string; Action: string | string[]; Resource: unknown };
const statements = (): Statement[] =>
  Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
    (policy) => policy.Properties.PolicyDocument.Statement as Statement[],
  );

describe('the function', () => {
  it('runs on nodejs24.x on arm64 with explicit memory', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      MemorySize: 512,
      Handler: 'index.handler',
    });
  });

  it('times out before API Gateway gives up on the integration', () => {
    const { Timeout } = propertiesOf(template, 'AWS::Lambda::Function', functionId);
    expect(Timeout).toBeGreaterThanOrEqual(5);
    expect(Timeout).toBeLessThan(API_INTEGRATION_TIMEOUT_SECONDS);
  });

  it('gets the secret ARN, environment and API version under the names lambda/config.ts reads', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: {
          [ENV.secretId]: { Ref: secretId },
          [ENV.environment]: 'sandbox',
          [ENV.apiVersion]: DEFAULTS.apiVersion,
          [ENV.baseUrl]: Match.absent(),
        },
      },
    });
  });

  it('maps stack traces through source maps at run time', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: { NODE_OPTIONS: Match.stringLikeRegexp('--enable-source-maps') } },
    });
  });

  it('is bundled as minified ESM with its source map and the AWS SDK inside', () => {
    const s3Key: string = propertiesOf(template, 'AWS::Lambda::Function', functionId).Code.S3Key;
    const assetDir = join(app.synth().directory, `asset.${s3Key.replace(/\.zip$/, '')}`);
    expect(existsSync(join(assetDir, 'index.mjs.map'))).toBe(true);
    const bundle = readFileSync(join(assetDir, 'index.mjs'), 'utf8');
    expect(bundle).toMatch(/^import \{ createRequire as __createRequire \} from 'node:module';/);
    expect(bundle).toMatch(/export\s*\{[^}]*\bhandler\b[^}]*\}/);
    expect(bundle).not.toMatch(/from\s*["']@aws-sdk\//);
    const averageLineLength = bundle.length / bundle.split('\n').length;
    expect(averageLineLength).toBeGreaterThan(1000);
  });

  it('logs JSON to its own log group kept for at least a year, not through the logRetention custom resource', () => {
    const logGroupId = propertiesOf(template, 'AWS::Lambda::Function', functionId).LoggingConfig.LogGroup.Ref;
    template.hasResourceProperties('AWS::Lambda::Function', {
      LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: logGroupId } },
    });
    const retention = propertiesOf(template, 'AWS::Logs::LogGroup', logGroupId).RetentionInDays;
    expect(retention).toBeGreaterThanOrEqual(ONE_YEAR_DAYS);
    expect(template.findResources('Custom::LogRetention')).toEqual({});
  });

  it('sends active X-Ray traces', () => {
    template.hasResourceProperties('AWS::Lambda::Function', { TracingConfig: { Mode: 'Active' } });
  });

  it('reserves concurrency so callers cannot exceed the Cashfree rate limit by surprise', () => {
    template.hasResourceProperties('AWS::Lambda::Function', { ReservedConcurrentExecutions: 10 });
  });

  it('may be invoked by API Gateway only for the one GET method', () => {
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'apigateway.amazonaws.com',
      SourceArn: {
        'Fn::Join': [
          '',
          Match.arrayWith([{ Ref: apiId }, { Ref: stageId }, '/GET/customers/*/instruments/*/cryptogram']),
        ],
      },
    });
    const permissions = Object.values(template.findResources('AWS::Lambda::Permission'));
    expect(permissions.map((permission) => JSON.stringify(permission.Properties.SourceArn))).not.toContainEqual(
      expect.stringMatching(/test-invoke-stage/),
    );
  });
});

describe('the function role', () => {
  it('has no AWS-managed policy attached', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: Match.objectLike({
        Statement: [Match.objectLike({ Principal: { Service: 'lambda.amazonaws.com' } })],
      }),
      ManagedPolicyArns: Match.absent(),
    });
    expect(propertiesOf(template, 'AWS::IAM::Role', roleOfFunction).ManagedPolicyArns).toBeUndefined();
  });

  it('may read the one secret and nothing else in Secrets Manager', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: roleOfFunction }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Effect: 'Allow',
            Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'],
            Resource: { Ref: secretId },
          },
        ]),
      },
    });
    const secretStatements = statements().filter((s) => JSON.stringify(s.Action).includes('secretsmanager:'));
    expect(secretStatements.map((s) => s.Resource)).toEqual([{ Ref: secretId }]);
  });

  it('may write to its own log group only', () => {
    const logGroupId = propertiesOf(template, 'AWS::Lambda::Function', functionId).LoggingConfig.LogGroup.Ref;
    const logStatements = statements().filter((s) => JSON.stringify(s.Action).includes('logs:'));
    expect(logStatements).toEqual([
      {
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: { 'Fn::GetAtt': [logGroupId, 'Arn'] },
      },
    ]);
  });

  it('uses a wildcard resource only for the X-Ray actions, which support no other', () => {
    const wildcard = statements().filter((s) => JSON.stringify(s.Resource).includes('*'));
    expect(wildcard).toEqual([
      { Effect: 'Allow', Action: ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'], Resource: '*' },
    ]);
  });
});

describe('the secret', () => {
  it('is created for the operator to fill, and survives a stack deletion', () => {
    template.hasResource('AWS::SecretsManager::Secret', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });

  it('is encrypted with the AWS-managed key unless a customer-managed key is configured', () => {
    template.hasResourceProperties('AWS::SecretsManager::Secret', { KmsKeyId: Match.absent() });
  });
});

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
      HttpMethod: 'GET',
      AuthorizationType: 'AWS_IAM',
      RequestParameters: {
        'method.request.path.customer_id': true,
        'method.request.path.instrument_id': true,
      },
      RequestValidatorId: { Ref: validatorId },
    });
    template.hasResourceProperties('AWS::ApiGateway::RequestValidator', {
      RestApiId: { Ref: apiId },
      ValidateRequestParameters: true,
    });
  });

  it('passes requests to the function through a Lambda proxy integration', () => {
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      Integration: {
        Type: 'AWS_PROXY',
        IntegrationHttpMethod: 'POST',
        Uri: { 'Fn::Join': ['', Match.arrayWith([{ 'Fn::GetAtt': [functionId, 'Arn'] }])] },
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

  it('answers its own 4xx and 5xx refusals as uncacheable JSON with message and code', () => {
    for (const type of ['DEFAULT_4XX', 'DEFAULT_5XX']) {
      template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
        ResponseType: type,
        ResponseParameters: { 'gatewayresponse.header.Cache-Control': "'no-store'" },
        ResponseTemplates: { 'application/json': Match.stringLikeRegexp('"message".*"code"') },
      });
    }
  });
});

describe('the stage', () => {
  const methodSettings = () => propertiesOf(template, 'AWS::ApiGateway::Stage', stageId).MethodSettings;

  it('throttles every method with the configured rate and burst', () => {
    expect(methodSettings()).toEqual([
      expect.objectContaining({
        HttpMethod: '*',
        ResourcePath: '/*',
        ThrottlingRateLimit: 5,
        ThrottlingBurstLimit: 10,
      }),
    ]);
  });

  it('logs execution errors without data tracing, which would log cryptograms', () => {
    expect(methodSettings()).toEqual([
      expect.objectContaining({ HttpMethod: '*', ResourcePath: '/*', LoggingLevel: 'ERROR', DataTraceEnabled: false }),
    ]);
  });

  it('caches nothing, since a cryptogram must never be replayed', () => {
    template.hasResourceProperties('AWS::ApiGateway::Stage', { CacheClusterEnabled: false });
    expect(methodSettings()).toEqual([expect.objectContaining({ CachingEnabled: false })]);
  });

  it('traces requests with X-Ray', () => {
    template.hasResourceProperties('AWS::ApiGateway::Stage', { TracingEnabled: true });
  });

  it('writes JSON access logs to their own log group kept for at least a year', () => {
    const { DestinationArn } = propertiesOf(template, 'AWS::ApiGateway::Stage', stageId).AccessLogSetting;
    const logGroupRef = DestinationArn['Fn::Join'][1].find(
      (part: { Ref?: string }) => part.Ref && !part.Ref.startsWith('AWS::'),
    )?.Ref;
    const logGroupIds = Object.keys(template.findResources('AWS::Logs::LogGroup'));
    expect(logGroupIds).toContain(logGroupRef);
    const retention = propertiesOf(template, 'AWS::Logs::LogGroup', logGroupRef).RetentionInDays;
    expect(retention).toBeGreaterThanOrEqual(ONE_YEAR_DAYS);
  });

  it('keeps its execution logs for at least a year in a group created before the stage', () => {
    const groups = template.findResources('AWS::Logs::LogGroup', {
      Properties: { LogGroupName: { 'Fn::Join': ['', ['API-Gateway-Execution-Logs_', { Ref: apiId }, '/v1']] } },
    });
    const [groupId, group] = Object.entries(groups)[0] ?? [];
    expect(group?.Properties.RetentionInDays).toBeGreaterThanOrEqual(ONE_YEAR_DAYS);
    template.hasResource('AWS::ApiGateway::Stage', { DependsOn: Match.arrayWith([groupId]) });
  });

  it('logs request id, caller, status, latency and integration error, and no body', () => {
    const { Format } = propertiesOf(template, 'AWS::ApiGateway::Stage', stageId).AccessLogSetting;
    const fields = JSON.parse(Format);
    expect(fields).toMatchObject({
      requestId: '$context.requestId',
      caller: '$context.identity.caller',
      userArn: '$context.identity.userArn',
      status: '$context.status',
      responseLatencyMs: '$context.responseLatency',
      integrationError: '$context.integrationErrorMessage',
    });
    expect(Format).not.toMatch(/\$input|body|requestOverride|responseOverride|\$context\.path/i);
  });
});

describe('the alarms', () => {
  const alarmOn = (namespace: string, metricName: string) =>
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: namespace,
      MetricName: metricName,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });

  it('watch the function for errors, throttles and a duration near its timeout', () => {
    for (const metricName of ['Errors', 'Throttles']) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/Lambda',
        MetricName: metricName,
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: functionId } }],
        Threshold: 1,
      });
    }
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Lambda',
      MetricName: 'Duration',
      ExtendedStatistic: 'p99',
      Threshold: 8000,
    });
  });

  it('watch the API for 5XX answers and latency', () => {
    alarmOn('AWS/ApiGateway', '5XXError');
    alarmOn('AWS/ApiGateway', 'Latency');
  });

  it('watch Cashfree 5xx, timeouts and network errors through the service metrics', () => {
    const serviceMetric = (name: string) =>
      Match.objectLike({
        MetricStat: Match.objectLike({
          Metric: {
            Namespace: METRIC_NAMESPACE,
            MetricName: name,
            Dimensions: [{ Name: METRIC_DIMENSION, Value: { Ref: functionId } }],
          },
        }),
      });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Metrics: Match.arrayWith([
        serviceMetric(METRIC.upstreamServerError),
        serviceMetric(METRIC.upstreamTimeout),
        serviceMetric(METRIC.upstreamNetworkError),
      ]),
    });
  });

  it('watch credential failures through the service metrics', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: METRIC_NAMESPACE,
      MetricName: METRIC.credentialFailures,
      Dimensions: [{ Name: METRIC_DIMENSION, Value: { Ref: functionId } }],
      Threshold: 1,
    });
  });

  it('notify nobody unless an alarm action is configured', () => {
    for (const alarm of Object.values(template.findResources('AWS::CloudWatch::Alarm'))) {
      expect(alarm.Properties.AlarmActions).toBeUndefined();
    }
  });

  it('are shown on a dashboard', () => {
    template.hasResourceProperties('AWS::CloudWatch::Dashboard', {
      DashboardBody: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('"alarm"')])] }),
    });
  });
});

describe('the outputs', () => {
  it('give the invoke URL of the cryptogram path', () => {
    template.hasOutput('InvokeUrl', {
      Value: {
        'Fn::Join': [
          '',
          Match.arrayWith([{ Ref: stageId }, '/customers/{customer_id}/instruments/{instrument_id}/cryptogram']),
        ],
      },
    });
  });

  it('give the method ARN pattern a caller IAM policy grants execute-api:Invoke on', () => {
    template.hasOutput('MethodArnPattern', {
      Value: {
        'Fn::Join': [
          '',
          Match.arrayWith([':execute-api:', { Ref: apiId }, '/v1/GET/customers/*/instruments/*/cryptogram']),
        ],
      },
    });
  });

  it('give the secret ARN and the function name', () => {
    template.hasOutput('SecretArn', { Value: { Ref: secretId } });
    template.hasOutput('FunctionName', { Value: { Ref: functionId } });
  });
});
