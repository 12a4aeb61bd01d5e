import { afterEach, describe, expect, it, vi } from 'vitest';
import { newUpstreamRecord, type UpstreamOutcome, type UpstreamRecord } from '../../lambda/cashfree.ts';
import {
  CredentialsInvalidError,
  CredentialsUnavailableError,
  type HttpError,
  InternalError,
  InvalidRequestError,
  UpstreamRejectedError,
  UpstreamUnavailableError,
} from '../../lambda/errors.ts';
import {
  type InvocationSummary,
  invocationLine,
  METRIC,
  METRIC_DIMENSION,
  METRIC_NAMESPACE,
  writeInvocationLine,
} from '../../lambda/telemetry.ts';

const TIMESTAMP_MS = Date.UTC(2026, 0, 15, 10, 30, 0, 123);
const FUNCTION_NAME = 'cryptogram-service-prod-Fn';
const PAN = '4491365621601472';
const OUTCOME_METRICS = [
  METRIC.upstreamSuccess,
  METRIC.upstreamClientError,
  METRIC.upstreamAuthRejected,
  METRIC.upstreamRateLimited,
  METRIC.upstreamServerError,
  METRIC.upstreamInvalidResponse,
  METRIC.upstreamTimeout,
  METRIC.upstreamNetworkError,
];

interface EmfDirective {
  Namespace: string;
  Dimensions: string[][];
  Metrics: { Name: string; Unit: string }[];
}
type LogDocument = Record<string, unknown> & {
  _aws?: { Timestamp: number; CloudWatchMetrics: EmfDirective[] };
  upstream: Record<string, unknown>;
};

function summary(
  overrides: Omit<Partial<InvocationSummary>, 'upstream'> & { upstream?: Partial<UpstreamRecord> } = {},
) {
  const { upstream, ...rest } = overrides;
  return {
    requestId: 'req-tel-1',
    awsRequestId: 'aws-req-1',
    functionName: FUNCTION_NAME,
    status: 200,
    durationMs: 87,
    ...rest,
    upstream: { ...newUpstreamRecord(), ...upstream },
  } as InvocationSummary;
}

const called = (outcome: UpstreamOutcome, extra: Partial<UpstreamRecord> = {}): Partial<UpstreamRecord> => ({
  attempts: 1,
  latencyMs: 64,
  status: 200,
  outcome,
  ...extra,
});

function parse(line: string): LogDocument {
  return JSON.parse(line) as LogDocument;
}

/** Checks the CloudWatch embedded metric format rules the line must follow, and returns the directive. */
function emfDirective(document: LogDocument): EmfDirective {
  expect(typeof document._aws?.Timestamp).toBe('number');
  const directive = document._aws?.CloudWatchMetrics[0] as EmfDirective;
  expect(directive.Namespace).toBe(METRIC_NAMESPACE);
  expect(directive.Dimensions).toEqual([[METRIC_DIMENSION]]);
  expect(document[METRIC_DIMENSION]).toBe(FUNCTION_NAME);
  const names = directive.Metrics.map((metric) => metric.Name);
  expect(new Set(names).size).toBe(names.length);
  for (const { Name } of directive.Metrics) expect(typeof document[Name]).toBe('number');
  return directive;
}

const metricNames = (directive: EmfDirective) => directive.Metrics.map((metric) => metric.Name);

describe('invocationLine', () => {
  it('writes one line of valid JSON', () => {
    // Act
    const line = invocationLine(summary({ upstream: called('success') }), TIMESTAMP_MS);

    // Assess
    expect(line.endsWith('\n')).toBe(true);
    expect(line.slice(0, -1)).not.toContain('\n');
    expect(() => JSON.parse(line)).not.toThrow();
  });

  it('carries the request ids, status, duration and the upstream record', () => {
    // Prepare
    const upstream = called('success', {
      attempts: 3,
      retries: 1,
      latencyMs: 412,
      credentialRefreshed: true,
      cashfreeCode: 'request_failed',
      networkErrorCode: 'ECONNRESET',
    });

    // Act
    const document = parse(invocationLine(summary({ upstream }), TIMESTAMP_MS));

    // Assess
    expect(document).toMatchObject({
      timestamp: '2026-01-15T10:30:00.123Z',
      level: 'INFO',
      requestId: 'req-tel-1',
      awsRequestId: 'aws-req-1',
      status: 200,
      durationMs: 87,
      upstream: {
        status: 200,
        outcome: 'success',
        attempts: 3,
        retries: 1,
        latencyMs: 412,
        credentialRefreshed: true,
        cashfreeCode: 'request_failed',
        networkErrorCode: 'ECONNRESET',
      },
    });
  });

  it('ties the line to API Gateway, Lambda and X-Ray by their ids', () => {
    // Act
    const document = parse(
      invocationLine(
        summary({ apiRequestId: 'apigw-req-1', traceId: '1-67890abc-0123456789abcdef01234567' }),
        TIMESTAMP_MS,
      ),
    );

    // Assess
    expect(document).toMatchObject({
      requestId: 'req-tel-1',
      apiRequestId: 'apigw-req-1',
      awsRequestId: 'aws-req-1',
      traceId: '1-67890abc-0123456789abcdef01234567',
    });
  });

  it('writes no field whose value is unknown, so the line stays lean', () => {
    // Act
    const line = invocationLine(summary({ upstream: called('success') }), TIMESTAMP_MS);

    // Assess
    const document = parse(line);
    expect(document).not.toHaveProperty('apiRequestId');
    expect(document).not.toHaveProperty('traceId');
    expect(document.upstream).not.toHaveProperty('freshConnectionRetries');
    expect(document.upstream).not.toHaveProperty('networkErrorCode');
    expect(line).not.toContain('null');
  });

  it('counts requests sent again on a fresh connection apart from network errors', () => {
    // Act
    const document = parse(
      invocationLine(summary({ upstream: called('success', { freshConnectionRetries: 1 }) }), TIMESTAMP_MS),
    );

    // Assess
    expect(document.upstream).toMatchObject({ freshConnectionRetries: 1, outcome: 'success' });
    expect(document).not.toHaveProperty(METRIC.upstreamNetworkError);
  });

  it('logs an error with its code and class at ERROR level when the status is 5xx', () => {
    // Prepare
    const error = new UpstreamUnavailableError('status 503');

    // Act
    const document = parse(
      invocationLine(summary({ status: 502, error, upstream: called('server_error', { status: 503 }) }), TIMESTAMP_MS),
    );

    // Assess
    expect(document.level).toBe('ERROR');
    expect(document.errorCode).toBe('upstream_unavailable');
    expect(document.error).toBe('UpstreamUnavailableError: status 503');
  });

  it('logs a 4xx at INFO level', () => {
    // Act
    const document = parse(
      invocationLine(
        summary({ status: 404, error: new UpstreamRejectedError(404), upstream: called('client_error') }),
        TIMESTAMP_MS,
      ),
    );

    // Assess
    expect(document.level).toBe('INFO');
  });

  it('is a valid EMF document with latency, retries and refreshes when Cashfree was called', () => {
    // Prepare
    const upstream = called('success', { latencyMs: 250, retries: 2, credentialRefreshed: true });

    // Act
    const document = parse(invocationLine(summary({ upstream }), TIMESTAMP_MS));

    // Assess
    const directive = emfDirective(document);
    expect(document._aws?.Timestamp).toBe(TIMESTAMP_MS);
    expect(metricNames(directive)).toEqual(
      expect.arrayContaining([METRIC.upstreamLatency, METRIC.upstreamRetries, METRIC.credentialRefreshes]),
    );
    expect(directive.Metrics.find((metric) => metric.Name === METRIC.upstreamLatency)?.Unit).toBe('Milliseconds');
    expect(document[METRIC.upstreamLatency]).toBe(250);
    expect(document[METRIC.upstreamRetries]).toBe(2);
    expect(document[METRIC.credentialRefreshes]).toBe(1);
  });

  it.each([
    ['success', METRIC.upstreamSuccess],
    ['client_error', METRIC.upstreamClientError],
    ['auth_rejected', METRIC.upstreamAuthRejected],
    ['rate_limited', METRIC.upstreamRateLimited],
    ['server_error', METRIC.upstreamServerError],
    ['invalid_response', METRIC.upstreamInvalidResponse],
    ['timeout', METRIC.upstreamTimeout],
    ['network_error', METRIC.upstreamNetworkError],
  ] as const)('counts the %s outcome as %s and no other outcome', (outcome, metric) => {
    // Act
    const document = parse(invocationLine(summary({ upstream: called(outcome) }), TIMESTAMP_MS));

    // Assess
    const directive = emfDirective(document);
    expect(document[metric]).toBe(1);
    const outcomeMetrics = metricNames(directive).filter((name) => OUTCOME_METRICS.includes(name as never));
    expect(outcomeMetrics).toEqual([metric]);
  });

  it('reports zero refreshes when the credentials were not refreshed', () => {
    // Act
    const document = parse(invocationLine(summary({ upstream: called('success') }), TIMESTAMP_MS));

    // Assess
    expect(document[METRIC.credentialRefreshes]).toBe(0);
  });

  it('has no metrics block when Cashfree was not called', () => {
    // Prepare
    const error = new InvalidRequestError('customer_id is empty');

    // Act
    const document = parse(invocationLine(summary({ status: 400, error }), TIMESTAMP_MS));

    // Assess
    expect(document._aws).toBeUndefined();
    expect(document[METRIC_DIMENSION]).toBeUndefined();
    for (const name of Object.values(METRIC)) expect(document[name]).toBeUndefined();
  });

  it.each([
    ['CredentialsUnavailableError', new CredentialsUnavailableError('ThrottlingException'), 503],
    ['CredentialsInvalidError', new CredentialsInvalidError('SecretNotJson'), 500],
  ])('counts a CredentialFailures metric on %s', (_case, error: HttpError, status) => {
    // Act
    const document = parse(invocationLine(summary({ status, error }), TIMESTAMP_MS));

    // Assess
    const directive = emfDirective(document);
    expect(metricNames(directive)).toEqual([METRIC.credentialFailures]);
    expect(document[METRIC.credentialFailures]).toBe(1);
  });

  it('counts both the refused attempt and the credential failure when the refresh after a 401 fails', () => {
    // Prepare
    const error = new CredentialsUnavailableError('ThrottlingException');
    const upstream = called('auth_rejected', { status: 401, credentialRefreshed: true });

    // Act
    const document = parse(invocationLine(summary({ status: 503, error, upstream }), TIMESTAMP_MS));

    // Assess
    const directive = emfDirective(document);
    expect(metricNames(directive)).toEqual(
      expect.arrayContaining([METRIC.upstreamAuthRejected, METRIC.credentialFailures]),
    );
  });

  it('counts no CredentialFailures on other errors', () => {
    // Act
    const document = parse(
      invocationLine(
        summary({ status: 502, error: new UpstreamUnavailableError(), upstream: called('server_error') }),
        TIMESTAMP_MS,
      ),
    );

    // Assess
    expect(metricNames(emfDirective(document))).not.toContain(METRIC.credentialFailures);
  });

  it('keeps the PAN quoted by a JSON.parse SyntaxError out of the line', () => {
    // Prepare
    let cause: unknown;
    try {
      JSON.parse(`{"card_number": "${PAN}", "cryptogram": oops}`);
    } catch (error) {
      cause = error;
    }
    expect(String(cause)).toContain('oops');

    // Act
    const line = invocationLine(summary({ status: 500, error: new InternalError(cause) }), TIMESTAMP_MS);

    // Assess
    expect(line).not.toContain(PAN);
    expect(parse(line).error).toMatch(/^InternalError caused by SyntaxError/);
  });

  it.each([
    ['a short body quoted whole', PAN],
    ['a body that starts with the PAN', `${PAN} is the token`],
    ['a multi-line body', `oops\n  at ${PAN}`],
  ])('keeps the PAN out of the line for a SyntaxError on %s', (_case, text) => {
    // Prepare
    let cause: unknown;
    try {
      JSON.parse(`${text}}`);
    } catch (error) {
      cause = error;
    }

    // Act
    const line = invocationLine(summary({ status: 500, error: new InternalError(cause) }), TIMESTAMP_MS);

    // Assess
    expect(line).not.toContain(PAN);
  });

  it('logs only the class of an unexpected non-Error cause', () => {
    // Prepare
    const error = new InternalError({ card_number: PAN, cryptogram: 'AQBBBBBBZatIlaIAmWKSghwBBBB=' });

    // Act
    const line = invocationLine(summary({ status: 500, error }), TIMESTAMP_MS);

    // Assess
    expect(line).not.toContain(PAN);
    expect(line).not.toContain('AQBBBBBBZatIlaIAmWKSghwBBBB=');
    expect(parse(line).error).toBe('InternalError');
  });
});

describe('writeInvocationLine', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('writes the invocation line to stdout in one write', () => {
    // Prepare
    const writes: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      writes.push(String(chunk));
      return true;
    });
    const invocation = summary({ upstream: called('success') });

    // Act
    writeInvocationLine(invocation, TIMESTAMP_MS);

    // Assess
    expect(writes).toEqual([invocationLine(invocation, TIMESTAMP_MS)]);
  });
});
