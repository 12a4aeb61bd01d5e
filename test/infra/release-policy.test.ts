import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { REASONS } from '../../infra/functions/pre-traffic-check.ts';
import { invocationLine } from '../../lambda/telemetry.ts';
import { setUp } from '../support/handler-harness.ts';
import { releasePlanOf } from './release-policy.plan.ts';
import { simulateRelease, type VersionBehaviour } from './release-policy.simulation.ts';
import { type Cell, cellOf, cellText, markdownTable, syncedSection, type Unseen } from './release-policy.table.ts';
import {
  asVersion,
  CRASHING_SHARE,
  emfSamples,
  type VersionKind,
  versionBehaviours,
} from './release-policy.versions.ts';
import { synthesize } from './synth.ts';

// Every release alarm of each environment's synthesized template, evaluated as CloudWatch documents it
// (alarm-evaluation.ts) on the datapoints scripted traffic gives them, with the pre-traffic check's own
// judgement of what the real handler answers it. A run is one release; each cell of the table is RUNS runs,
// seeded, so the routing of calls between the versions and the ids that crash are the same on every machine.
const harness = await setUp();
const ENVIRONMENTS = ['staging', 'prod'] as const;
const RATES = [0, 0.05, 1, 20] as const;
const RUNS = 400;
const DOC = fileURLToPath(new URL('../../docs/release.md', import.meta.url));

interface Scenario {
  label: string;
  version: VersionKind;
  /** A release of it is wrong: it must never take all traffic while anything could have seen it fail. */
  broken: boolean;
  blip?: boolean;
  /** The alarms on their own, as if the pre-traffic check had passed the version. */
  withoutCheck?: boolean;
  /** Why it reaches 100% where it does: the table says it, a test proves it. */
  unseen?: Unseen;
}

// A share alarm counts a minute only with enough calls, and fires on two failing minutes running.
const alarmsAlone: Unseen = (cell) =>
  cell.completed === cell.runs
    ? `the alarms cannot see it, at most ${cell.mostCallsSeen} of its calls in a minute`
    : 'no alarm saw two failing minutes running';

const SCENARIOS = {
  blip: { label: 'healthy, one 5xx blip', version: 'healthy', broken: false, blip: true },
  cashfreeFails: { label: 'every Cashfree call fails', version: 'cashfree fails', broken: true },
  keyPairRefused: { label: 'Cashfree refuses the key pair', version: 'key pair refused', broken: true },
  crashes: {
    label: `crashes on ${CRASHING_SHARE * 100}% of ids (not the probe ids)`,
    version: 'crashes on some ids',
    broken: true,
    unseen: () => 'cannot be detected, no call for a crashing id reached it in a minute an alarm saw',
  },
  cashfreeFailsAlarmsAlone: {
    label: 'every Cashfree call fails, the alarms alone (as if the check had passed it)',
    version: 'cashfree fails',
    broken: true,
    withoutCheck: true,
    unseen: alarmsAlone,
  },
  keyPairRefusedAlarmsAlone: {
    label: 'Cashfree refuses the key pair, the alarms alone',
    version: 'key pair refused',
    broken: true,
    withoutCheck: true,
    unseen: alarmsAlone,
  },
} as const satisfies Record<string, Scenario>;
type ScenarioName = keyof typeof SCENARIOS;

const rateLabel = (rate: number) => (rate === 0 ? 'no traffic' : `${rate} req/s`);

/** Every scenario at every rate, RUNS runs each, in one environment. */
async function evaluate(environment: (typeof ENVIRONMENTS)[number]) {
  const plan = releasePlanOf(synthesize(environment).template, environment);
  const versions = await versionBehaviours(harness, plan);
  const run = (scenario: Scenario, requestsPerSecond: number, seed: number, old: VersionBehaviour = versions.old) => {
    const version = versions[scenario.version];
    return simulateRelease(plan, {
      requestsPerSecond,
      oldVersion: old,
      newVersion: scenario.blip ? { ...version, blip: versions.blip } : version,
      seed,
      // Every minute of the shift gets the blip in turn, the first call the new version serves in it.
      blipMinute: 1 + (seed % Math.max(1, plan.shift.finalShiftMinute)),
      bypassCheck: scenario.withoutCheck === true,
    });
  };
  const cells = {} as Record<ScenarioName, Cell[]>;
  const results = {} as Record<ScenarioName, ReturnType<typeof run>[][]>;
  for (const [name, scenario] of Object.entries(SCENARIOS) as [ScenarioName, Scenario][]) {
    results[name] = RATES.map((rate) => Array.from({ length: RUNS }, (_, seed) => run(scenario, rate, seed)));
    cells[name] = results[name].map((runs) => cellOf(runs, plan.shift.finalShiftMinute));
  }
  return { environment, plan, versions, run, cells, results };
}

// One environment after the other: each loads fresh copies of the handler module under its own variables.
const evaluated: Awaited<ReturnType<typeof evaluate>>[] = [];
for (const environment of ENVIRONMENTS) evaluated.push(await evaluate(environment));

describe.each(evaluated)('a $environment release', ({ plan, versions, run, cells, results }) => {
  const byRate = (name: ScenarioName) => RATES.map((rate, index) => ({ rate, cell: cells[name][index] as Cell }));

  it('is judged by the alarms of its deployment group, its traffic routing, its hook and its heartbeat', () => {
    expect(plan.alarms.map((alarm) => alarm.name)).toEqual([
      'NewVersionErrors',
      'NewVersionServerErrors',
      'NewVersionUpstreamFailures',
      'ReleaseServerErrorRate',
    ]);
    expect(plan.shift.finalShiftMinute).toBeGreaterThan(0);
    expect(plan.shift.shareAt(1)).toBeLessThan(1);
    expect(plan.heartbeatCallsPerMinute).toBe(1);
    expect(plan.probe).toBeDefined();
  });

  it('feeds the alarms what the real handler writes: a 0/1 per invocation under the version that ran', () => {
    const names = versions.healthy.card.samples.map(
      ({ metric }) => `${metric.metricName}:${metric.dimensions.FunctionVersion}`,
    );
    expect(names).toEqual(
      expect.arrayContaining([
        `ServerErrorAnswer:${plan.names.newVersion}`,
        `UpstreamFailure:${plan.names.newVersion}`,
      ]),
    );
    expect(versions['cashfree fails'].card.samples).toContainEqual(
      expect.objectContaining({ value: 1, metric: expect.objectContaining({ metricName: 'UpstreamFailure' }) }),
    );
  });

  it('never rolls a healthy version back for one 5xx blip, at any rate, in any minute of the shift', () => {
    for (const { rate, cell } of byRate('blip')) {
      expect(cell.verdict.ok).toBe(true);
      expect(cell, `${rateLabel(rate)}`).toMatchObject({ completed: RUNS, rolledBack: 0 });
    }
    // The blip really happened: wherever the new version gets a call in every minute, every run had one.
    const [, , atOne, atTwenty] = results.blip;
    for (const runs of [atOne, atTwenty]) expect(runs?.every((result) => result.blipped)).toBe(true);
  });

  it.each([
    { name: 'cashfreeFails', label: SCENARIOS.cashfreeFails.label, reason: REASONS.serverError },
    { name: 'keyPairRefused', label: SCENARIOS.keyPairRefused.label, reason: REASONS.keyPairRefused },
  ] as const)(
    'stops a version where "$label" at the pre-traffic check, before any call reaches it',
    ({ name, reason }) => {
      for (const { cell } of byRate(name)) {
        expect(cell).toMatchObject({ stopped: RUNS, verdict: { ok: false, reason } });
      }
    },
  );

  it('rolls a version that crashes on some ids back during the shift whenever a crashing call reached it in time', () => {
    for (const { rate, cell } of byRate('crashes')) {
      expect(cell.verdict.ok).toBe(true);
      expect(cell.stopped + cell.rolledBack + cell.completed).toBe(RUNS);
      // Every run in which an alarm could have seen a crash was rolled back, and only by the crash alarm.
      expect(cell.completedAfterASeenCrash, rateLabel(rate)).toBe(0);
      if (cell.rolledBack > 0) expect(cell.alarms).toContain('NewVersionErrors');
      expect(cell.rollbackMinutes.every((minute) => minute <= plan.shift.finalShiftMinute)).toBe(true);
    }
    const [none, , , busy] = byRate('crashes');
    expect(none?.cell).toMatchObject({ completed: RUNS, rolledBack: 0 });
    expect(busy?.cell).toMatchObject({ rolledBack: RUNS });
  });

  it.each([
    { name: 'cashfreeFailsAlarmsAlone', label: SCENARIOS.cashfreeFails.label },
    { name: 'keyPairRefusedAlarmsAlone', label: SCENARIOS.keyPairRefused.label },
  ] as const)(
    'has alarms that alone, where "$label", stop the version in the shift at 20 requests a second and cannot see it below one',
    ({ name }) => {
      const [none, slow, , busy] = byRate(name);
      expect(busy?.cell).toMatchObject({ rolledBack: RUNS });
      for (const quiet of [none, slow]) expect(quiet?.cell).toMatchObject({ completed: RUNS });
    },
  );

  it('lets no broken version reach 100% where anything could have seen it fail', () => {
    for (const [name, scenario] of Object.entries(SCENARIOS) as [ScenarioName, Scenario][]) {
      if (!scenario.broken || scenario.withoutCheck) continue;
      for (const { rate, cell } of byRate(name)) {
        expect(cell.completedAfterASeenCrash, `${scenario.label} at ${rateLabel(rate)}`).toBe(0);
        // Only a crash no call brought out can go unseen; every other broken version fails the check.
        if (scenario.version !== 'crashes on some ids') expect(cell.completed).toBe(0);
      }
    }
  });

  it('watches the new version alone with its own alarms: a failing old version never trips them', () => {
    const brokenOld = asVersion(versions['cashfree fails'], plan.names.oldVersion);
    for (const seed of [0, 1, 2, 3]) {
      const result = run(SCENARIOS.blip, 20, seed, brokenOld);
      const alarms = result.outcome.kind === 'rolled back' ? result.outcome.alarms : [];
      expect(alarms.filter((alarm) => alarm.startsWith('NewVersion'))).toEqual([]);
    }
  });
});

describe('the EMF reading', () => {
  it('reads every directive of a line under each of its dimension sets, with the line own values', () => {
    const line = invocationLine(
      {
        requestId: 'r',
        awsRequestId: 'a',
        functionName: 'fn',
        functionVersion: '3',
        status: 502,
        durationMs: 5,
        upstream: {
          attempts: 1,
          retries: 0,
          latencyMs: 4,
          credentialRefreshed: false,
          freshConnectionRetries: 0,
          outcome: 'server_error',
        },
      },
      0,
    );
    const read = emfSamples(line).map(({ metric, value }) => [
      metric.metricName,
      Object.values(metric.dimensions).join('/'),
      value,
    ]);
    expect(read).toEqual(
      expect.arrayContaining([
        ['UpstreamServerError', 'fn', 1],
        ['ServerErrorAnswer', 'fn/3', 1],
        ['UpstreamFailure', 'fn/3', 1],
      ]),
    );
  });
});

describe('docs/release.md', () => {
  it('shows the table these runs compute (UPDATE_RELEASE_TABLE=1 rewrites it)', () => {
    const sections = new Map<string, string[]>();
    for (const { environment, plan, cells } of evaluated) {
      const rows = (Object.entries(SCENARIOS) as [ScenarioName, Scenario][]).map(([name, scenario]) => ({
        label: scenario.label,
        cells: cells[name].map((cell) => cellText(cell, scenario.unseen)),
      }));
      const heading =
        `${plan.shift.label}, the heartbeat's ${plan.heartbeatCallsPerMinute} call a minute through the live alias, ` +
        `${RUNS} seeded runs a cell`;
      const table = `${heading}:\n\n${markdownTable(RATES.map(rateLabel), rows)}`;
      sections.set(table, [...(sections.get(table) ?? []), environment]);
    }
    const computed = [...sections]
      .map(([table, environments]) => `**${environments.join(' and ')}**: ${table}`)
      .join('\n\n');
    const { committed, computed: expected } = syncedSection(DOC, computed, process.env.UPDATE_RELEASE_TABLE === '1');
    expect(committed).toBe(expected);
  });
});
