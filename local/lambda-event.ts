import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';

export const RESOURCE_PATH = '/customers/{customer_id}/instruments/{instrument_id}/cryptogram';

export interface EventInput {
  /** Raw path segments, percent-encoded as API Gateway passes them. */
  customerId?: string;
  instrumentId?: string;
  headers?: Record<string, string>;
  requestId?: string;
}

/** A REST API (payload v1) proxy event shaped as API Gateway sends it for an IAM-authorised GET. */
export function apiGatewayEvent({
  customerId,
  instrumentId,
  headers = {},
  requestId,
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
        sourceIp: '127.0.0.1',
        user: 'AROALOCALCALLER:payment-flow',
        userAgent: headers['user-agent'] ?? null,
        userArn: 'arn:aws:sts::000000000000:assumed-role/payment-flow/local',
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
export function lambdaContext(timeoutMs = 10_000, functionName = 'cryptogram-service-local'): Context {
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
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadlineMs - Date.now()),
    done: unsupported,
    fail: unsupported,
    succeed: unsupported,
  };
}
