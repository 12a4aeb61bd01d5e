import fc from 'fast-check';
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
  OUTCOME_METRIC,
  VERSION_DIMENSION,
  VERSION_METRIC,
  writeInvocationLine,
} from '../../lambda/telemetry.ts';

const TIMESTAMP_MS = Date.UTC(2026, 0, 15, 10, 30, 0, 123);
const FUNCTION_NAME = 'cryptogram-service-prod-Fn';
const FUNCTION_VERSION = '42';
const PAN = '4491365621601472';
const OUTCOME_METRICS = Object.values(OUTCOME_METRIC);

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
    functionVersion: FUNCTION_VERSION,
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

/**
 * Checks the CloudWatch embedded metric format rules the line must follow (every named metric and dimension
 * present at the root, no metric in two entries, so none is published twice) and returns its entries.
 */
function emfDirectives(document: LogDocument): EmfDirective[] {
  expect(typeof document._aws?.Timestamp).toBe('number');
  const directives = document._aws?.CloudWatchMetrics ?? [];
  expect(directives.length).toBeGreaterThan(0);
  const names = directives.flatMap((directive) => directive.Metrics.map((metric) => metric.Name));
  expect(new Set(names).size).toBe(names.length);
  for (const directive of directives) {
    expect(directive.Namespace).toBe(METRIC_NAMESPACE);
    for (const dimension of directive.Dimensions.flat()) expect(typeof document[dimension]).toBe('string');
    for (const { Name } of directive.Metrics) expect(typeof document[Name]).toBe('number');
  }
  expect(document[METRIC_DIMENSION]).toBe(FUNCTION_NAME);
  return directives;
}

/** The function-wide entry: dimension `FunctionName` alone, as the stack-wide alarms and the dashboard read it. */
function emfDirective(document: LogDocument): EmfDirective {
  const directive = emfDirectives(document).find(
    (candidate) => JSON.stringify(candidate.Dimensions) === JSON.stringify([[METRIC_DIMENSION]]),
  );
  if (!directive) throw new Error('no FunctionName-only entry');
  return directive;
}

/** The per-version entry: dimensions `FunctionName` + `FunctionVersion`, as the release alarms read it. */
function versionDirective(document: LogDocument): EmfDirective {
  const directive = emfDirectives(document).find(
    (candidate) => JSON.stringify(candidate.Dimensions) === JSON.stringify([[METRIC_DIMENSION, VERSION_DIMENSION]]),
  );
  if (!directive) throw new Error('no FunctionName + FunctionVersion entry');
  expect(document[VERSION_DIMENSION]).toBe(FUNCTION_VERSION);
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
    const record = {
      attempts: 3,
      retries: 1,
      latencyMs: 412,
      credentialRefreshed: true,
      cashfreeCode: 'request_failed',
      networkErrorCode: 'ECONNRESET',
    };
    const upstream = called('success', record);

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
      upstream: { status: 200, outcome: 'success', ...record },
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

  it('has only the per-version 5xx metric when Cashfree was not called', () => {
    // Prepare
    const error = new InvalidRequestError('customer_id is empty');

    // Act
    const document = parse(invocationLine(summary({ status: 400, error }), TIMESTAMP_MS));

    // Assess
    expect(emfDirectives(document)).toEqual([versionDirective(document)]);
    expect(metricNames(versionDirective(document))).toEqual([VERSION_METRIC.serverErrorAnswer]);
    expect(document[VERSION_METRIC.serverErrorAnswer]).toBe(0);
    for (const name of Object.values(METRIC)) expect(document[name]).toBeUndefined();
    expect(document).not.toHaveProperty(VERSION_METRIC.upstreamFailure);
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

  it('keeps message lines that look like stack frames out of the line, and still logs the real frames', () => {
    // Prepare
    const cause = new Error(`upstream said:\n    at card ${PAN}\n    at cryptogram AQBBBBBBZatIlaIAmWKSghwBBBB=`);

    // Act
    const { error } = parse(invocationLine(summary({ status: 500, error: new InternalError(cause) }), TIMESTAMP_MS));

    // Assess
    expect(error).not.toContain(PAN);
    expect(error).not.toContain('AQBBBBBBZatIlaIAmWKSghwBBBB=');
    expect(error).toMatch(/^InternalError caused by Error \| at .*telemetry\.test\.ts/);
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

describe('invocationLine per version', () => {
  it('names the function version that ran, for queries and as the metric dimension', () => {
    // Act
    const document = parse(invocationLine(summary({ upstream: called('success') }), TIMESTAMP_MS));

    // Assess
    expect(document.functionVersion).toBe(FUNCTION_VERSION);
    expect(document[VERSION_DIMENSION]).toBe(FUNCTION_VERSION);
  });

  it('keeps the function-wide metrics under FunctionName alone and the two per-version metrics apart', () => {
    // Act
    const document = parse(invocationLine(summary({ upstream: called('server_error') }), TIMESTAMP_MS));

    // Assess
    expect(emfDirectives(document)).toHaveLength(2);
    expect(metricNames(versionDirective(document))).toEqual([
      VERSION_METRIC.serverErrorAnswer,
      VERSION_METRIC.upstreamFailure,
    ]);
    expect(versionDirective(document).Metrics.map((metric) => metric.Unit)).toEqual(['Count', 'Count']);
    expect(metricNames(emfDirective(document))).toEqual(
      expect.arrayContaining([METRIC.upstreamLatency, METRIC.upstreamServerError]),
    );
    expect(metricNames(emfDirective(document))).not.toContain(VERSION_METRIC.serverErrorAnswer);
  });

  it.each([
    [200, 0],
    [400, 0],
    [404, 0],
    [429, 0],
    [499, 0],
    [500, 1],
    [502, 1],
    [503, 1],
    [504, 1],
  ])('counts an answer with status %i as ServerErrorAnswer %i', (status, expected) => {
    // Act
    const document = parse(invocationLine(summary({ status, upstream: called('success') }), TIMESTAMP_MS));

    // Assess
    expect(metricNames(versionDirective(document))).toContain(VERSION_METRIC.serverErrorAnswer);
    expect(document[VERSION_METRIC.serverErrorAnswer]).toBe(expected);
  });

  it('counts a 5xx that never reached Cashfree, such as unreadable credentials', () => {
    // Act
    const document = parse(
      invocationLine(
        summary({ status: 503, error: new CredentialsUnavailableError('ThrottlingException') }),
        TIMESTAMP_MS,
      ),
    );

    // Assess
    expect(document[VERSION_METRIC.serverErrorAnswer]).toBe(1);
    expect(document).not.toHaveProperty(VERSION_METRIC.upstreamFailure);
  });

  it.each([
    ['server_error', 1],
    ['timeout', 1],
    ['network_error', 1],
    ['invalid_response', 1],
    ['success', 0],
    ['client_error', 0],
    ['auth_rejected', 0],
    ['rate_limited', 0],
  ] as const)('counts the %s outcome as UpstreamFailure %i', (outcome, expected) => {
    // Act
    const document = parse(invocationLine(summary({ upstream: called(outcome) }), TIMESTAMP_MS));

    // Assess
    expect(metricNames(versionDirective(document))).toContain(VERSION_METRIC.upstreamFailure);
    expect(document[VERSION_METRIC.upstreamFailure]).toBe(expected);
  });

  it('keeps the secret, token PANs and cryptograms out of every line, whatever the status, outcome and error', () => {
    // Prepare
    const SECRET = 'cfsk_ma_test_0123456789abcdef';
    const CRYPTOGRAM = 'AQBBBBBBZatIlaIAmWKSghwBBBB=';
    const sensitive = { client_secret: SECRET, card_number: PAN, cryptogram: CRYPTOGRAM };
    const syntaxError = (() => {
      try {
        JSON.parse(`{"card_number":"${PAN}","cryptogram":"${CRYPTOGRAM}","x":${SECRET}}`);
      } catch (error) {
        return error;
      }
    })();
    const errors: (HttpError | undefined)[] = [
      undefined,
      new InternalError(sensitive),
      new InternalError(syntaxError),
      new InternalError(new Error(`${SECRET} ${PAN} ${CRYPTOGRAM}`)),
      new UpstreamUnavailableError('status 503'),
      new CredentialsInvalidError('SecretNotJson'),
    ];
    const outcomes = Object.keys({
      success: 0,
      client_error: 0,
      auth_rejected: 0,
      rate_limited: 0,
      server_error: 0,
      invalid_response: 0,
      timeout: 0,
      network_error: 0,
    } satisfies Record<UpstreamOutcome, 0>) as UpstreamOutcome[];
    const allowedKeys = new Set([
      'timestamp',
      'level',
      'message',
      'requestId',
      'apiRequestId',
      'awsRequestId',
      'functionVersion',
      'traceId',
      'status',
      'durationMs',
      'errorCode',
      'error',
      'upstream',
      '_aws',
      METRIC_DIMENSION,
      VERSION_DIMENSION,
      ...Object.values(METRIC),
      ...Object.values(VERSION_METRIC),
    ]);

    fc.assert(
      fc.property(
        fc.integer({ min: 200, max: 599 }),
        fc.option(fc.constantFrom(...outcomes), { nil: undefined }),
        fc.constantFrom(...errors),
        (status, outcome, error) => {
          // Act
          const line = invocationLine(
            summary({ status, ...(error && { error }), ...(outcome && { upstream: called(outcome) }) }),
            TIMESTAMP_MS,
          );

          // Assess
          for (const value of [SECRET, PAN, CRYPTOGRAM]) expect(line).not.toContain(value);
          const document = parse(line);
          for (const key of Object.keys(document)) expect(allowedKeys).toContain(key);
          for (const { Name } of versionDirective(document).Metrics) expect([0, 1]).toContain(document[Name]);
        },
      ),
    );
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
