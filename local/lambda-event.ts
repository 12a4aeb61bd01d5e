import { randomUUID } from 'node:crypto';
import type { APIGatewayEventIdentity, APIGatewayProxyEvent, Context } from 'aws-lambda';
import { RESOURCE_PATH } from '../api/resource.ts';

export { RESOURCE_PATH };

/** The caller fields API Gateway fills in from a verified SigV4 signature. */
export type CallerIdentity = Pick<APIGatewayEventIdentity, 'accessKey' | 'caller' | 'user' | 'userArn'>;

const LOCAL_ACCOUNT = '000000000000';

/**
 * The identity API Gateway would put in the event for a caller signing with this access key: an IAM user for a
 * long-term `AKIA` key, an assumed role for temporary (`ASIA`) credentials, as locally nothing else is known.
 */
export function callerIdentity(accessKeyId: string): CallerIdentity {
  const principalId = `AIDA${accessKeyId.slice(4)}`;
  if (accessKeyId.startsWith('ASIA')) {
    return {
      accessKey: accessKeyId,
      caller: `AROA${accessKeyId.slice(4)}:local`,
      user: `AROA${accessKeyId.slice(4)}:local`,
      userArn: `arn:aws:sts::${LOCAL_ACCOUNT}:assumed-role/local-caller/local`,
    };
  }
  return {
    accessKey: accessKeyId,
    caller: principalId,
    user: principalId,
    userArn: `arn:aws:iam::${LOCAL_ACCOUNT}:user/local-caller`,
  };
}

export interface EventInput {
  /** Raw path segments, percent-encoded as API Gateway passes them. */
  customerId?: string;
  instrumentId?: string;
  headers?: Record<string, string>;
  requestId?: string;
  /** The verified signer; without it the event carries a fixed local role, as before signatures were checked. */
  identity?: CallerIdentity;
  sourceIp?: string;
}

/** A REST API (payload v1) proxy event shaped as API Gateway sends it for an IAM-authorised GET. */
export function apiGatewayEvent({
  customerId,
  instrumentId,
  headers = {},
  requestId,
  identity,
  sourceIp = '127.0.0.1',
}: EventInput): APIGatewayProxyEvent {
  const path = `/customers/${customerId ?? ''}/instruments/${instrumentId ?? ''}/cryptogram`;
  const pathParameters: Record<string, string> = {};
  if (customerId !== undefined) pathParameters.customer_id = customerId;
  if (instrumentId !== undefined) pathParameters.instrument_id = instrumentId;
  return {
    resource: RESOURCE_PATH,
    path,
    httpMethod: 'GET',
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, [value]])),
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters,
    stageVariables: null,
    body: null,
    isBase64Encoded: false,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      authorizer: null,
      domainName: '127.0.0.1',
      domainPrefix: '127',
      extendedRequestId: requestId ?? randomUUID(),
      httpMethod: 'GET',
      identity: {
        accessKey: null,
        accountId: '000000000000',
        apiKey: null,
        apiKeyId: null,
        caller: 'AROALOCALCALLER:payment-flow',
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp,
        user: 'AROALOCALCALLER:payment-flow',
        userAgent: headers['user-agent'] ?? null,
        userArn: 'arn:aws:sts::000000000000:assumed-role/payment-flow/local',
        ...identity,
      },
      path: `/local${path}`,
      protocol: 'HTTP/1.1',
      requestId: requestId ?? randomUUID(),
      requestTimeEpoch: Date.now(),
      resourceId: 'local',
      resourcePath: RESOURCE_PATH,
      stage: 'local',
    },
  };
}

/** A Lambda context whose deadline is `timeoutMs` from now, as the runtime gives one. */
export function lambdaContext(
  timeoutMs = 10_000,
  functionName = 'cryptogram-service-local',
  awsRequestId: string = randomUUID(),
): Context {
  const deadlineMs = Date.now() + timeoutMs;
  const unsupported = () => {
    throw new Error('callback-style completion is not used');
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadlineMs - Date.now()),
    done: unsupported,
    fail: unsupported,
    succeed: unsupported,
  };
}
