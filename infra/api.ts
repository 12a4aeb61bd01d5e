import { Lazy, Stack, Validations } from 'aws-cdk-lib';
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
import { InterfaceVpcEndpoint } from 'aws-cdk-lib/aws-ec2';
import { AnyPrincipal, ArnPrincipal, Effect, PolicyDocument, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { LogGroup } from 'aws-cdk-lib/aws-logs';
import { CfnWebACLAssociation } from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { GATEWAY_REFUSALS, type GatewayRefusal } from '../api/gateway-responses.ts';
import { HTTP_METHOD, PATH_PARAMETERS, RESOURCE_PATH, STAGE_NAME } from '../api/resource.ts';
import { retainedLogGroup } from './logs.ts';
import type { Settings } from './settings.ts';

/** The method's path with each `{parameter}` as `*`, as IAM resources and the resource policy need it. */
const RESOURCE_PATTERN = RESOURCE_PATH.replace(/\{[^}]+\}/g, '*');
/** The one method as IAM and resource policies name it: the stage, the verb, the path with its ids as wildcards. */
export const METHOD_PATH = `/${STAGE_NAME}/${HTTP_METHOD}${RESOURCE_PATTERN}`;

/**
 * Fields of the JSON access log. `apiRequestId`, `awsRequestId` and the trace id are also in the function's
 * log line, so one Logs Insights query follows a request through both groups (docs/runbook.md).
 */
const ACCESS_LOG_FIELDS = {
  apiRequestId: AccessLogField.contextRequestId(),
  extendedRequestId: AccessLogField.contextExtendedRequestId(),
  awsRequestId: '$context.integration.requestId',
  xrayTraceId: AccessLogField.contextXrayTraceId(),
  apiId: AccessLogField.contextApiId(),
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
} as const;

export interface CryptogramApiProps {
  settings: Pick<
    Settings,
    'allowedPrincipals' | 'endpoint' | 'throttle' | 'wafWebAclArn' | 'createApiGatewayAccountRole'
  >;
  /** What the method invokes: the `live` alias, never `$LATEST`. */
  target: IFunction;
}

/** The REST API: one IAM-authorised GET, its resource policy, stage, logs and API Gateway's own answers. */
export class CryptogramApi extends Construct {
  readonly restApi: RestApi;
  readonly accessLogs: LogGroup;
  readonly executionLogs: LogGroup;
  /** The resource policy's Allow, which `admit` extends. */
  private readonly allow: PolicyStatement;
  /** Principal ARN patterns the resource policy's Deny spares: the settings' and those admitted since. */
  private readonly spared: string[];

  constructor(scope: Construct, id: string, { settings, target }: CryptogramApiProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.accessLogs = retainedLogGroup(this, 'AccessLogs');
    const { endpoint } = settings;
    const vpcEndpointIds = endpoint === 'regional' ? [] : [...endpoint.vpcEndpointIds];

    const policy = resourcePolicy(stack, settings.allowedPrincipals, vpcEndpointIds);
    this.allow = policy.allow;
    this.spared = policy.spared;
    const api = new RestApi(this, 'Api', {
      // REST API metrics are keyed by API name, so it must be unique per account and region.
      restApiName: stack.stackName,
      description: 'Cashfree network token cryptograms for internal payment flows (IAM auth)',
      endpointConfiguration:
        vpcEndpointIds.length > 0
          ? {
              types: [EndpointType.PRIVATE],
              vpcEndpoints: vpcEndpointIds.map((vpcEndpointId) =>
                InterfaceVpcEndpoint.fromInterfaceVpcEndpointAttributes(this, `Endpoint-${vpcEndpointId}`, {
                  vpcEndpointId,
                  port: 443,
                }),
              ),
            }
          : { types: [EndpointType.REGIONAL] },
      policy: policy.document,
      cloudWatchRole: settings.createApiGatewayAccountRole,
      defaultMethodOptions: { authorizationType: AuthorizationType.IAM },
      deployOptions: {
        stageName: STAGE_NAME,
        throttlingRateLimit: settings.throttle.rateLimit,
        throttlingBurstLimit: settings.throttle.burstLimit,
        accessLogDestination: new LogGroupLogDestination(this.accessLogs),
        accessLogFormat: AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
        loggingLevel: MethodLoggingLevel.ERROR,
        // Data tracing would write full requests and responses, cryptograms included, to the execution log.
        dataTraceEnabled: false,
        // A cryptogram is single-use: a cached response would be a replayed one.
        cacheClusterEnabled: false,
        cachingEnabled: false,
        tracingEnabled: true,
      },
    });
    this.restApi = api;
    // CDK's own URL output ends in a slash and sits beside BaseUrl: one output says where the client points.
    api.node.tryRemoveChild('Endpoint');

    // API Gateway would create this group itself, kept forever; owning it gives it our retention. It must exist
    // before the stage can log into it.
    const executionLogs = retainedLogGroup(this, 'ExecutionLogs', {
      logGroupName: `API-Gateway-Execution-Logs_${api.restApiId}/${STAGE_NAME}`,
    });
    api.deploymentStage.node.addDependency(executionLogs);
    this.executionLogs = executionLogs;

    const validator = new RequestValidator(this, 'PathParameterValidator', {
      restApi: api,
      validateRequestParameters: true,
      validateRequestBody: false,
    });
    // On an alias, LambdaIntegration grants invoke on the alias ARN, which is what API Gateway calls.
    const method = api.root
      .resourceForPath(RESOURCE_PATH)
      .addMethod(HTTP_METHOD, new LambdaIntegration(target, { allowTestInvoke: false }), {
        authorizationType: AuthorizationType.IAM,
        requestParameters: Object.fromEntries(PATH_PARAMETERS.map((name) => [`method.request.path.${name}`, true])),
        requestValidator: validator,
      });

    addGatewayResponses(api);

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
          'a WAF web ACL is attached when the environment sets wafWebAclArn.',
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
  }

  /** The `execute-api:Invoke` resource a caller's IAM policy grants. */
  get methodArnPattern(): string {
    return this.restApi.arnForExecuteApi(HTTP_METHOD, RESOURCE_PATTERN, STAGE_NAME);
  }

  /** The stage URL the client takes: `https://{api-id}.execute-api.{region}.amazonaws.com/v1`, no trailing slash. */
  get baseUrl(): string {
    const stack = Stack.of(this);
    return `https://${this.restApi.restApiId}.execute-api.${stack.region}.${stack.urlSuffix}/${STAGE_NAME}`;
  }

  /**
   * A private API's stage URL through one VPC endpoint (its endpoint-specific DNS name), which resolves inside
   * the VPC whether or not the endpoint has private DNS on.
   */
  endpointBaseUrl(vpcEndpointId: string): string {
    const stack = Stack.of(this);
    return `https://${this.restApi.restApiId}-${vpcEndpointId}.execute-api.${stack.region}.${stack.urlSuffix}/${STAGE_NAME}`;
  }

  /** Lets one more principal (a role of this stack) through the resource policy: its Allow, spared by its Deny. */
  admit(principalArn: string): void {
    this.allow.addArnPrincipal(principalArn);
    this.spared.push(principalArn);
  }
}

interface ResourcePolicy {
  document: PolicyDocument;
  allow: PolicyStatement;
  /** Principal ARN patterns the Deny spares; read at synth, so later additions count. */
  spared: string[];
}

function resourcePolicy(stack: Stack, principals: readonly string[], vpcEndpointIds: string[]): ResourcePolicy {
  // An entry is an account id (the deploying account's is a token) or a role or user ARN.
  const allowed = principals.length > 0 ? principals : [stack.account];
  const asArn = (entry: string, suffix: string): string =>
    entry.startsWith('arn:') ? entry : `arn:${stack.partition}:iam::${entry}:${suffix}`;
  const spared = allowed.map((entry) => asArn(entry, '*'));
  const allow = new PolicyStatement({
    effect: Effect.ALLOW,
    principals: allowed.map((entry) => new ArnPrincipal(asArn(entry, 'root'))),
    actions: ['execute-api:Invoke'],
    resources: [`execute-api:${METHOD_PATH}`],
  });
  const statements = [
    allow,
    // Within one account an IAM policy alone would also let a principal in; this Deny makes the list binding.
    new PolicyStatement({
      effect: Effect.DENY,
      principals: [new AnyPrincipal()],
      actions: ['execute-api:Invoke'],
      resources: ['execute-api:/*'],
      conditions: { StringNotLike: { 'aws:PrincipalArn': Lazy.list({ produce: () => spared }) } },
    }),
  ];
  if (vpcEndpointIds.length > 0) {
    statements.push(
      new PolicyStatement({
        effect: Effect.DENY,
        principals: [new AnyPrincipal()],
        actions: ['execute-api:Invoke'],
        resources: ['execute-api:/*'],
        conditions: { StringNotEquals: { 'aws:SourceVpce': vpcEndpointIds } },
      }),
    );
  }
  return { document: new PolicyDocument({ statements }), allow, spared };
}

// The two catch-alls cover many statuses (404, 413, 502, ...): forcing one status on them would lie.
const KEEPS_ITS_OWN_STATUS = new Set(['DEFAULT_4XX', 'DEFAULT_5XX']);

// API Gateway's own refusals, answered like the function: `{ "message", "code", "requestId" }` with a lower-case
// code, JSON and `no-store`. API Gateway documents gateway-response headers mapped only from `method.request.*`
// values and quoted literals, and `$context` variables in the body template; so its request id goes in the body
// (`$context.requestId`), and in the `x-amzn-RequestId` header API Gateway adds to every answer by itself. No
// `x-request-id` here: that header is the function's (contract §1).
function addGatewayResponses(api: RestApi): void {
  for (const [name, refusal] of Object.entries(GATEWAY_REFUSALS) as Array<[string, GatewayRefusal]>) {
    api.addGatewayResponse(`${name}Response`, {
      type: ResponseType.of(refusal.type),
      statusCode: KEEPS_ITS_OWN_STATUS.has(refusal.type) ? undefined : String(refusal.status),
      responseHeaders: {
        'content-type': "'application/json'",
        'cache-control': "'no-store'",
        ...(refusal.retryAfterSeconds !== undefined && { 'retry-after': `'${refusal.retryAfterSeconds}'` }),
      },
      templates: {
        // messageString is API Gateway's message already quoted as a JSON string; the request id is a plain token.
        'application/json': `{"message":$context.error.messageString,"code":"${refusal.code}","requestId":"$context.requestId"}`,
      },
    });
  }
}
