import * as v from 'valibot';
import { parseInstrumentIds } from '../../lambda/request.ts';
import { PROBE_ANSWERS, PROBE_DEFAULTS, type ProbeStatus } from '../functions/probe.ts';
import { strict } from './schema.ts';

function idProblem(parameter: 'customer_id' | 'instrument_id', id: string): string | undefined {
  try {
    // The function's own rule: an id it would refuse could never reach Cashfree.
    parseInstrumentIds({ customer_id: 'x', instrument_id: 'x', [parameter]: encodeURIComponent(id) });
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : 'not a valid id';
  }
}
const probeId = (parameter: 'customer_id' | 'instrument_id', fallback: string) =>
  v.optional(
    v.pipe(
      v.string(' must be a string'),
      v.check(
        (id) => !idProblem(parameter, id),
        (issue) => `: ${idProblem(parameter, issue.input)}`,
      ),
    ),
    fallback,
  );
/**
 * The ids the pre-traffic check and the heartbeat ask for, and the status that counts as "authenticated and
 * routed" (404, or 400 where Cashfree answers an unknown customer so). Unset parts take `PROBE_DEFAULTS`.
 */
export const PROBE = strict(
  {
    customerId: probeId('customer_id', PROBE_DEFAULTS.customerId),
    instrumentId: probeId('instrument_id', PROBE_DEFAULTS.instrumentId),
    expected: v.optional(
      v.custom<ProbeStatus>(
        (status) => typeof status === 'number' && Object.hasOwn(PROBE_ANSWERS, status),
        " must be 404 (Cashfree's documented answer for an unknown card) or 400; " +
          'never 401, 403, 5xx or 200, which would pass a refused key pair, a failing version or a real card',
      ),
      PROBE_DEFAULTS.expected,
    ),
  },
  '{ customerId, instrumentId, expected } or left out',
);
