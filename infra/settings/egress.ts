import * as v from 'valibot';
import type { EgressSettings } from '../egress.ts';
import { eachEntry, strict, wholeNumber } from './schema.ts';

// One NAT gateway and Elastic IP per zone; three zones is what every region offers and what Cashfree's
// allow-list needs to hear about.
const MAX_EGRESS_ZONES = 3;
const ZONE = /^[a-z]{2}(-gov)?-[a-z]+-\d[a-z]$/;

/**
 * Fixed outgoing addresses for Cashfree's IP allow-list: the function in a VPC of its own, one NAT gateway and
 * Elastic IP per zone (README, "A fixed outgoing address for Cashfree"). Unset: the function has no VPC.
 */
export const egressSetting = (region: string | undefined) => {
  const shape = `{ availabilityZones: [names] } or { natGateways: 1 to ${MAX_EGRESS_ZONES} }`;
  const zones = v.pipe(
    v.custom<string[]>(
      (list) => region !== undefined && Array.isArray(list) && list.length > 0 && list.length <= MAX_EGRESS_ZONES,
      region === undefined
        ? ' needs a pinned region; an unpinned environment uses natGateways'
        : ` must list 1 to ${MAX_EGRESS_ZONES} zone names`,
    ),
    eachEntry((zone) => {
      if (!(typeof zone === 'string' && ZONE.test(zone)))
        return `: ${String(zone)} is not a zone name such as ap-south-1a`;
      return zone.slice(0, -1) === region ? undefined : `: ${zone} is not in ${region}, where the environment deploys`;
    }),
    v.check((list) => new Set(list).size === list.length, ' names a zone twice'),
  );
  return v.pipe(
    strict({ availabilityZones: v.optional(zones), natGateways: v.optional(wholeNumber(1, MAX_EGRESS_ZONES)) }, shape),
    v.check(
      (egress) => (egress.availabilityZones === undefined) !== (egress.natGateways === undefined),
      ` must be ${shape}, one of the two`,
    ),
    v.transform(
      ({ availabilityZones = [], natGateways }): EgressSettings =>
        natGateways === undefined ? { availabilityZones } : { natGateways },
    ),
  );
};
