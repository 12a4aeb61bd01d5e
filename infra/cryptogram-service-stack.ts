import { fileURLToPath } from 'node:url';
import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import {
  AccessLogField,
  AccessLogFormat,
  AuthorizationType,
  EndpointType,
  LambdaIntegration,
  LogGroupLogDestination,
  MethodLoggingLevel,
  RequestValidator,
  ResponseType,
  RestApi,
} from 'aws-cdk-lib/aws-apigateway';
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IAlarmAction,
  type IMetric,
  MathExpression,
  Metric,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { InterfaceVpcEndpoint } from 'aws-cdk-lib/aws-ec2';
import {
  AnyPrincipal,
  ArnPrincipal,
  Effect,
  PolicyDocument,
  PolicyStatement,
  Role,
  ServicePrincipal,
} from 'aws-cdk-lib/aws-iam';
import { type IKey, Key } from 'aws-cdk-lib/aws-kms';
import { Architecture, LoggingFormat, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { CfnWebACLAssociation } from 'aws-cdk-lib/aws-wafv2';
import type { Construct, Node } from 'constructs';
import { DEFAULTS, ENV, readConfig, wholeNumber } from '../lambda/config.ts';
import { METRIC, METRIC_DIMENSION, METRIC_NAMESPACE } from '../lambda/telemetry.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const STAGE_NAME = 'v1';
const RESOURCE_PATH = '/customers/{customer_id}/instruments/{instrument_id}/cryptogram';
// API Gateway gives up on an integration after 29 s; the function must answer (504 included) well before that.
const FUNCTION_TIMEOUT = Duration.seconds(10);
const LOG_RETENTION = RetentionDays.ONE_YEAR;

// Every deploy-time choice, read from CDK context (`-c key=value` or cdk.json); the README's Deploy section lists them.
interface Settings {
  secretArn: string | undefined;
  kmsKeyArn: string | undefined;
  createKmsKey: boolean;
  endpointType: 'regional' | 'private';
  vpcEndpointIds: string[];
  allowedPrincipals: string[];
  throttleRateLimit: number;
  throttleBurstLimit: number;
  reservedConcurrency: number | undefined;
  wafWebAclArn: string | undefined;
  alarmActionArn: string | undefined;
  createApiGatewayAccountRole: boolean;
  functionEnvironment: Record<string, string>;
}

// Throws one error naming every bad context value, so a typo fails `cdk synth` rather than a deployment.
function readSettings(node: Node): Settings {
  const problems: string[] = [];
  const text = (key: string): string | undefined => {
    const raw = node.tryGetContext(key);
    if (raw === undefined || raw === null || String(raw).trim() === '') return undefined;
    return String(raw).trim();
  };
  // `-c key=a,b` arrives as a string, cdk.json may hold a real array.
  const list = (key: string): string[] => {
    const raw = node.tryGetContext(key);
    const items = Array.isArray(raw) ? raw.map(String) : (text(key)?.split(',') ?? []);
    return items.map((item) => item.trim()).filter((item) => item !== '');
  };
  const integer = (key: string, fallback: number, min: number, max: number): number =>
    wholeNumber(key, text(key), { fallback, min, max }, problems);
  const flag = (key: string, fallback: boolean): boolean => {
    const raw = text(key);
    if (raw === undefined) return fallback;
    if (raw !== 'true' && raw !== 'false') problems.push(`${key} must be true or false`);
    return raw === 'true';
  };
  const arn = (key: string, service: string): string | undefined => {
    const raw = text(key);
    if (raw !== undefined && !new RegExp(`^arn:aws[a-z-]*:${service}:`).test(raw)) {
      problems.push(`${key} must be an ${service} ARN`);
    }
    return raw;
  };

  const endpointType = text('endpointType') ?? 'regional';
  if (endpointType !== 'regional' && endpointType !== 'private') {
    problems.push('endpointType must be regional or private');
  }
  const vpcEndpointIds = list('vpcEndpointIds');
  if (endpointType === 'private' && vpcEndpointIds.length === 0) {
    problems.push('endpointType=private needs vpcEndpointIds');
  }
  if (endpointType !== 'private' && vpcEndpointIds.length > 0) {
    problems.push('vpcEndpointIds only applies to endpointType=private');
  }
  for (const id of vpcEndpointIds) {
    if (!/^vpce-[0-9a-f]+$/.test(id)) problems.push(`vpcEndpointIds: ${id} is not a VPC endpoint id`);
  }

  const allowedPrincipals = list('allowedPrincipals');
  for (const principal of allowedPrincipals) {
    if (!/^(\d{12}|arn:aws[a-z-]*:iam::\d{12}:(root|role\/.+|user\/.+))$/.test(principal)) {
      problems.push(`allowedPrincipals: ${principal} is neither an account id nor an IAM role or user ARN`);
    }
  }

  const kmsKeyArn = arn('kmsKeyArn', 'kms');
  const createKmsKey = flag('createKmsKey', false);
  if (kmsKeyArn !== undefined && createKmsKey) problems.push('set kmsKeyArn or createKmsKey, not both');
  const secretArn = arn('secretArn', 'secretsmanager');
  if (secretArn !== undefined && createKmsKey) {
    problems.push('createKmsKey only applies to a secret this stack creates');
  }

  const throttleRateLimit = integer('throttleRateLimit', 5, 1, 10_000);
  const throttleBurstLimit = integer('throttleBurstLimit', 10, 1, 5_000);
  const reservedConcurrency =
    text('reservedConcurrency') === 'none' ? undefined : integer('reservedConcurrency', 10, 1, 1_000);

  const functionEnvironment: Record<string, string> = {
    [ENV.environment]: text('cashfreeEnvironment') ?? DEFAULTS.environment,
    [ENV.apiVersion]: text('cashfreeApiVersion') ?? DEFAULTS.apiVersion,
  };
  const optional = {
    [ENV.baseUrl]: text('cashfreeBaseUrl'),
    [ENV.credentialsTtlSeconds]: text('credentialsTtlSeconds'),
    [ENV.attemptTimeoutMs]: text('attemptTimeoutMs'),
    [ENV.maxAttempts]: text('maxAttempts'),
  };
  for (const [name, value] of Object.entries(optional)) if (value !== undefined) functionEnvironment[name] = value;
  try {
    // The function's own reader: whatever it would reject at cold start fails the synth instead.
    readConfig({ ...functionEnvironment, [ENV.secretId]: 'checked-at-synth' });
  } catch (error) {
    problems.push((error as Error).message);
  }

  if (problems.length > 0) throw new Error(`Invalid context: ${problems.join('; ')}`);
  return {
    secretArn,
    kmsKeyArn,
    createKmsKey,
    endpointType: endpointType === 'private' ? 'private' : 'regional',
    vpcEndpointIds,
    allowedPrincipals,
    throttleRateLimit,
    throttleBurstLimit,
    reservedConcurrency,
    wafWebAclArn: arn('wafWebAclArn', 'wafv2'),
    alarmActionArn: text('alarmActionArn'),
    createApiGatewayAccountRole: flag('createApiGatewayAccountRole', true),
    functionEnvironment,
  };
}

/** The cryptogram service: one IAM-authorised REST API, one function, its secret, logs, alarms and dashboard. */
export class CryptogramServiceStack extends Stack {
  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    const settings = readSettings(this.node);

    const secret = this.credentialsSecret(settings);
    const handler = this.handlerFunction(settings, secret);
    const api = this.restApi(settings, handler);
    this.monitoring(settings, handler, api);

    const methodArn = api.arnForExecuteApi('GET', RESOURCE_PATH.replace(/\{[^}]+\}/g, '*'), STAGE_NAME);
    new CfnOutput(this, 'InvokeUrl', { value: api.urlForPath(RESOURCE_PATH), description: 'GET, SigV4-signed' });
    new CfnOutput(this, 'MethodArnPattern', {
      value: methodArn,
      description: 'Resource for execute-api:Invoke in a caller IAM policy',
    });
    new CfnOutput(this, 'SecretArn', {
      value: secret.secretArn,
      description: 'Put {"client_id","client_secret"} here',
    });
    new CfnOutput(this, 'FunctionName', { value: handler.functionName });
  }

  private credentialsSecret(settings: Settings): ISecret {
    let encryptionKey: IKey | undefined;
    if (settings.createKmsKey) {
      encryptionKey = new Key(this, 'SecretKey', {
        description: 'Encrypts the Cashfree API credentials',
        enableKeyRotation: true,
        removalPolicy: RemovalPolicy.RETAIN,
      });
    } else if (settings.kmsKeyArn) {
      encryptionKey = Key.fromKeyArn(this, 'SecretKey', settings.kmsKeyArn);
    }

    if (settings.secretArn) {
      return Secret.fromSecretAttributes(this, 'CashfreeCredentials', {
        secretCompleteArn: settings.secretArn,
        encryptionKey,
      });
    }

    const secret = new Secret(this, 'CashfreeCredentials', {
      description: 'Cashfree client_id and client_secret as JSON; filled by the operator after the first deploy',
      encryptionKey,
      // Live payment credentials must not vanish with a stack; the README says how to delete them.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Cashfree issues the key pair in its dashboard; no API exists for a rotation Lambda. ' +
        'Rotation is a manual, zero-downtime runbook in the README.',
    });
    return secret;
  }

  private handlerFunction(settings: Settings, secret: ISecret): NodejsFunction {
    const logGroup = new LogGroup(this, 'HandlerLogs', {
      retention: LOG_RETENTION,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // A role of our own instead of AWSLambdaBasicExecutionRole: it may write to this one log group only.
    const role = new Role(this, 'HandlerRole', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: 'Cryptogram function: write its log group, read its one secret, send X-Ray traces',
    });
    logGroup.grantWrite(role);

    const handler = new NodejsFunction(this, 'Handler', {
      entry: `${ROOT}lambda/handler.ts`,
      handler: 'handler',
      projectRoot: ROOT,
      depsLockFilePath: `${ROOT}package-lock.json`,
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: 512,
      timeout: FUNCTION_TIMEOUT,
      role,
      logGroup,
      loggingFormat: LoggingFormat.JSON,
      tracing: Tracing.ACTIVE,
      reservedConcurrentExecutions: settings.reservedConcurrency,
      description: 'Returns a Cashfree network token cryptogram',
      environment: {
        ...settings.functionEnvironment,
        [ENV.secretId]: secret.secretArn,
        NODE_OPTIONS: '--enable-source-maps',
      },
      bundling: {
        format: OutputFormat.ESM,
        target: 'node24',
        mainFields: ['module', 'main'],
        minify: true,
        keepNames: true,
        sourceMap: true,
        sourcesContent: false,
        // Bundled CommonJS dependencies still call require() for Node built-ins.
        banner:
          "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
        // The SDK is bundled, not taken from the runtime: the README gives the cold-start measurements.
        externalModules: [],
        // There is no Docker here or in CI: bundle with the project's esbuild or fail.
        forceDockerBundling: false,
      },
    });
    // Covers a key this stack creates (through its key policy), but silently not an imported one.
    secret.grantRead(handler);
    if (settings.kmsKeyArn) {
      role.addToPrincipalPolicy(
        new PolicyStatement({
          actions: ['kms:Decrypt'],
          resources: [settings.kmsKeyArn],
          conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${this.region}.amazonaws.com` } },
        }),
      );
    }

    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'xray:PutTraceSegments and xray:PutTelemetryRecords support no resource scoping; AWS requires "*".',
    });
    Validations.of(handler).acknowledge({
      id: 'Serverless-LambdaDLQ',
      reason: 'Only API Gateway invokes the function, synchronously; there is no async event to dead-letter.',
    });
    return handler;
  }

  private restApi(settings: Settings, handler: NodejsFunction): RestApi {
    const accessLogs = new LogGroup(this, 'ApiAccessLogs', {
      retention: LOG_RETENTION,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const isPrivate = settings.endpointType === 'private';

    const api = new RestApi(this, 'Api', {
      // REST API metrics are keyed by API name, so it must be unique per account and region.
      restApiName: this.stackName,
      description: 'Cashfree network token cryptograms for internal payment flows (IAM auth)',
      endpointConfiguration: isPrivate
        ? {
            types: [EndpointType.PRIVATE],
            vpcEndpoints: settings.vpcEndpointIds.map((id) =>
              InterfaceVpcEndpoint.fromInterfaceVpcEndpointAttributes(this, `Endpoint-${id}`, {
                vpcEndpointId: id,
                port: 443,
              }),
            ),
          }
        : { types: [EndpointType.REGIONAL] },
      policy: this.apiPolicy(settings),
      cloudWatchRole: settings.createApiGatewayAccountRole,
      defaultMethodOptions: { authorizationType: AuthorizationType.IAM },
      deployOptions: {
        stageName: STAGE_NAME,
        throttlingRateLimit: settings.throttleRateLimit,
        throttlingBurstLimit: settings.throttleBurstLimit,
        accessLogDestination: new LogGroupLogDestination(accessLogs),
        accessLogFormat: AccessLogFormat.custom(
          JSON.stringify({
            requestId: AccessLogField.contextRequestId(),
            extendedRequestId: AccessLogField.contextExtendedRequestId(),
            requestTimeEpoch: AccessLogField.contextRequestTimeEpoch(),
            httpMethod: AccessLogField.contextHttpMethod(),
            resourcePath: AccessLogField.contextResourcePath(),
            status: AccessLogField.contextStatus(),
            responseLatencyMs: AccessLogField.contextResponseLatency(),
            responseLength: AccessLogField.contextResponseLength(),
            callerAccountId: AccessLogField.contextIdentityAccountId(),
            caller: AccessLogField.contextIdentityCaller(),
            userArn: AccessLogField.contextIdentityUserArn(),
            sourceIp: AccessLogField.contextIdentitySourceIp(),
            vpceId: '$context.identity.vpceId',
            integrationStatus: AccessLogField.contextIntegrationStatus(),
            integrationLatencyMs: AccessLogField.contextIntegrationLatency(),
            integrationError: AccessLogField.contextIntegrationErrorMessage(),
            errorType: AccessLogField.contextErrorResponseType(),
            errorMessage: AccessLogField.contextErrorMessage(),
            xrayTraceId: AccessLogField.contextXrayTraceId(),
          }),
        ),
        loggingLevel: MethodLoggingLevel.ERROR,
        // Data tracing would write full requests and responses, cryptograms included, to the execution log.
        dataTraceEnabled: false,
        // A cryptogram is single-use: a cached response would be a replayed one.
        cacheClusterEnabled: false,
        cachingEnabled: false,
        tracingEnabled: true,
      },
    });

    // API Gateway would create this group itself, kept forever; owning it gives it our retention. It must exist
    // before the stage can log into it.
    const executionLogs = new LogGroup(this, 'ApiExecutionLogs', {
      logGroupName: `API-Gateway-Execution-Logs_${api.restApiId}/${STAGE_NAME}`,
      retention: LOG_RETENTION,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    api.deploymentStage.node.addDependency(executionLogs);

    const validator = new RequestValidator(this, 'PathParameterValidator', {
      restApi: api,
      validateRequestParameters: true,
      validateRequestBody: false,
    });
    const method = api.root
      .resourceForPath(RESOURCE_PATH)
      .addMethod('GET', new LambdaIntegration(handler, { allowTestInvoke: false }), {
        authorizationType: AuthorizationType.IAM,
        requestParameters: {
          'method.request.path.customer_id': true,
          'method.request.path.instrument_id': true,
        },
        requestValidator: validator,
      });

    // API Gateway's own refusals (auth, validation, throttling) answer in the same JSON shape as the function.
    for (const type of [ResponseType.DEFAULT_4XX, ResponseType.DEFAULT_5XX]) {
      api.addGatewayResponse(`${type.responseType}Response`, {
        type,
        responseHeaders: { 'Cache-Control': "'no-store'" },
        templates: {
          'application/json': '{"message":$context.error.messageString,"code":"$context.error.responseType"}',
        },
      });
    }

    if (settings.wafWebAclArn) {
      new CfnWebACLAssociation(this, 'WebAclAssociation', {
        resourceArn: api.deploymentStage.stageArn,
        webAclArn: settings.wafWebAclArn,
      });
    } else {
      Validations.of(api.deploymentStage).acknowledge({
        id: 'AwsSolutions-APIG3',
        reason:
          'Every request must carry a SigV4 signature of an allowed principal and is throttled per stage; ' +
          'a WAF web ACL is attached when the wafWebAclArn context value is set.',
      });
    }
    if (settings.createApiGatewayAccountRole) {
      Validations.of(api.node.findChild('CloudWatchRole')).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        reason:
          'The account-wide role API Gateway uses to write execution logs; the AWS-managed policy is the one ' +
          'AWS documents for it and follows API Gateway as it changes.',
      });
    }
    Validations.of(api.node.findChild('Resource')).acknowledge({
      id: 'AwsSolutions-APIG2',
      reason:
        'The one GET method has a validator for its two required path parameters; ' +
        'a GET carries no body, so there is no body model to validate.',
    });
    Validations.of(method).acknowledge({
      id: 'AwsSolutions-COG4',
      reason: 'The method uses AWS_IAM authorization: callers are IAM principals, not Cognito users.',
    });
    return api;
  }

  private apiPolicy(settings: Settings): PolicyDocument {
    // An entry is an account id (the deploying account's is a token) or a role or user ARN.
    const allowed = settings.allowedPrincipals.length > 0 ? settings.allowedPrincipals : [this.account];
    const asArn = (entry: string, suffix: string): string =>
      entry.startsWith('arn:') ? entry : `arn:${this.partition}:iam::${entry}:${suffix}`;
    const statements = [
      new PolicyStatement({
        effect: Effect.ALLOW,
        principals: allowed.map((entry) => new ArnPrincipal(asArn(entry, 'root'))),
        actions: ['execute-api:Invoke'],
        resources: [`execute-api:/${STAGE_NAME}/GET${RESOURCE_PATH.replace(/\{[^}]+\}/g, '*')}`],
      }),
      // Within one account an IAM policy alone would also let a principal in; this Deny makes the list binding.
      new PolicyStatement({
        effect: Effect.DENY,
        principals: [new AnyPrincipal()],
        actions: ['execute-api:Invoke'],
        resources: ['execute-api:/*'],
        conditions: { StringNotLike: { 'aws:PrincipalArn': allowed.map((entry) => asArn(entry, '*')) } },
      }),
    ];
    if (settings.endpointType === 'private') {
      statements.push(
        new PolicyStatement({
          effect: Effect.DENY,
          principals: [new AnyPrincipal()],
          actions: ['execute-api:Invoke'],
          resources: ['execute-api:/*'],
          conditions: { StringNotEquals: { 'aws:SourceVpce': settings.vpcEndpointIds } },
        }),
      );
    }
    return new PolicyDocument({ statements });
  }

  private monitoring(settings: Settings, handler: NodejsFunction, api: RestApi): void {
    const period = Duration.minutes(5);
    const serviceMetric = (metricName: string, statistic = 'Sum'): Metric =>
      new Metric({
        namespace: METRIC_NAMESPACE,
        metricName,
        dimensionsMap: { [METRIC_DIMENSION]: handler.functionName },
        statistic,
        period,
      });
    const upstreamFailures = new MathExpression({
      label: 'Cashfree 5xx, timeouts and network errors',
      expression: 'FILL(server, 0) + FILL(timeout, 0) + FILL(network, 0)',
      usingMetrics: {
        server: serviceMetric(METRIC.upstreamServerError),
        timeout: serviceMetric(METRIC.upstreamTimeout),
        network: serviceMetric(METRIC.upstreamNetworkError),
      },
      period,
    });
    const stage = api.deploymentStage;

    const alarms: Array<[string, IMetric, number, string]> = [
      ['FunctionErrors', handler.metricErrors({ period }), 1, 'The function crashed or timed out'],
      ['FunctionThrottles', handler.metricThrottles({ period }), 1, 'Reserved concurrency reached: calls refused'],
      [
        'FunctionDurationNearTimeout',
        handler.metricDuration({ period, statistic: 'p99' }),
        FUNCTION_TIMEOUT.toMilliseconds() * 0.8,
        'p99 duration above 80% of the function timeout',
      ],
      ['Api5xx', stage.metricServerError({ period, statistic: 'Sum' }), 5, 'The API answered 5xx'],
      ['ApiLatency', stage.metricLatency({ period, statistic: 'p99' }), 5_000, 'API p99 latency above 5 s'],
      ['UpstreamFailures', upstreamFailures, 5, 'Cashfree answered 5xx, timed out or was unreachable'],
      [
        'CredentialFailures',
        serviceMetric(METRIC.credentialFailures),
        1,
        'The Cashfree credentials could not be read from Secrets Manager',
      ],
    ];
    const { alarmActionArn } = settings;
    const alarmAction: IAlarmAction | undefined = alarmActionArn ? { bind: () => ({ alarmActionArn }) } : undefined;
    const created: Alarm[] = alarms.map(([id, metric, threshold, description]) => {
      const alarm = new Alarm(this, `${id}Alarm`, {
        metric,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      if (alarmAction) alarm.addAlarmAction(alarmAction);
      return alarm;
    });

    new Dashboard(this, 'Dashboard', {
      widgets: [
        [new AlarmStatusWidget({ title: 'Alarms', alarms: created, width: 24 })],
        [
          new GraphWidget({
            title: 'API requests and errors',
            left: [
              stage.metricCount({ period }),
              stage.metricClientError({ period }),
              stage.metricServerError({ period }),
            ],
          }),
          new GraphWidget({
            title: 'API and Cashfree latency (p99, ms)',
            left: [stage.metricLatency({ period, statistic: 'p99' }), serviceMetric(METRIC.upstreamLatency, 'p99')],
          }),
        ],
        [
          new GraphWidget({
            title: 'Cashfree outcomes',
            left: [
              METRIC.upstreamSuccess,
              METRIC.upstreamClientError,
              METRIC.upstreamAuthRejected,
              METRIC.upstreamRateLimited,
              METRIC.upstreamServerError,
              METRIC.upstreamTimeout,
              METRIC.upstreamNetworkError,
              METRIC.upstreamRetries,
            ].map((name) => serviceMetric(name)),
          }),
          new GraphWidget({
            title: 'Function and credentials',
            left: [handler.metricErrors({ period }), handler.metricThrottles({ period })],
            right: [serviceMetric(METRIC.credentialRefreshes), serviceMetric(METRIC.credentialFailures)],
          }),
        ],
      ],
    });
  }
}
