import type { Template } from 'aws-cdk-lib/assertions';
import { HEARTBEAT_ENV, type Probe, readProbe } from '../../infra/functions/probe.ts';
import { type AlarmDefinition, readAlarm } from './alarm-evaluation.ts';
import { cryptogramFunctionId, logicalIdOf, propertiesOf } from './synth.ts';

// biome-ignore lint/suspicious/noExplicitAny: CloudFormation properties are untyped JSON.
type Json = Record<string, any>;

/** The values CloudFormation would give the template's references once deployed, as the simulator writes them. */
export interface DeployedNames {
  functionName: string;
  liveAlias: string;
  /** The version being released (the one the template publishes) and the one callers have until then. */
  newVersion: string;
  oldVersion: string;
  apiName: string;
  stage: string;
}

/** How CodeDeploy moves the alias: the new version's share of its calls per minute, until the final shift. */
export interface TrafficShift {
  /** The deployment config, as the table says it. */
  label: string;
  /** The minute (counted from the pre-traffic check, minute 0) at whose end the last shift to 100% happens. */
  finalShiftMinute: number;
  /** The new version's share of the alias's calls in `minute`, from minute 1 to `finalShiftMinute`. */
  shareAt(minute: number): number;
}

export interface ReleaseAlarm {
  /** The alarm's name as docs/release.md and the runbook say it. */
  name: string;
  definition: AlarmDefinition;
}

/** Everything the release policy is made of, read from one environment's synthesized template. */
export interface ReleasePlan {
  environment: string;
  names: DeployedNames;
  /** The deployment group's alarms: any of them in ALARM during the shift rolls the release back. */
  alarms: ReleaseAlarm[];
  shift: TrafficShift;
  /** What the pre-traffic check asks the new version for; undefined where the alias has no hook. */
  probe: Probe | undefined;
  /** Calls through the stage (and the live alias) per minute that the heartbeat's schedule makes. */
  heartbeatCallsPerMinute: number;
}

const short = (logicalId: string): string => logicalId.replace(/^Release/, '').replace(/Alarm[0-9A-F]{8}$/, '');

function trafficShift(template: Template, group: Json): TrafficShift {
  const name = group.DeploymentConfigName;
  const allAtOnce: TrafficShift = { label: 'all at once', finalShiftMinute: 0, shareAt: () => 1 };
  if (name === 'CodeDeployDefault.LambdaAllAtOnce') return allAtOnce;
  if (typeof name?.Ref !== 'string') throw new Error(`deployment config ${JSON.stringify(name)} is not modelled`);
  const { TrafficRoutingConfig: routing } = propertiesOf(template, 'AWS::CodeDeploy::DeploymentConfig', name.Ref);
  switch (routing?.Type) {
    case 'AllAtOnce':
      return allAtOnce;
    case 'TimeBasedCanary': {
      const { CanaryPercentage: percent, CanaryInterval: interval } = routing.TimeBasedCanary;
      return {
        label: `canary ${percent}% for ${interval} minutes`,
        finalShiftMinute: interval,
        shareAt: () => percent / 100,
      };
    }
    case 'TimeBasedLinear': {
      const { LinearPercentage: percent, LinearInterval: interval } = routing.TimeBasedLinear;
      const steps = Math.ceil(100 / percent);
      return {
        label: `linear ${percent}% every ${interval} minutes`,
        finalShiftMinute: (steps - 1) * interval,
        shareAt: (minute) => Math.min(1, (percent * Math.ceil(minute / interval)) / 100),
      };
    }
    default:
      throw new Error(`traffic routing ${JSON.stringify(routing)} is not modelled`);
  }
}

/** One beat per `rate(...)` period, each a call through the stage for the probe ids. */
function heartbeatCallsPerMinute(template: Template): number {
  let calls = 0;
  for (const schedule of Object.values(template.findResources('AWS::Scheduler::Schedule'))) {
    const { ScheduleExpression: expression, State, Target } = schedule.Properties;
    if (State === 'DISABLED') continue;
    const targetId = Target?.Arn?.['Fn::GetAtt']?.[0];
    const target = template.findResources('AWS::Lambda::Function')[targetId];
    if (target?.Properties?.Environment?.Variables?.[HEARTBEAT_ENV.baseUrl] === undefined) continue;
    const rate = /^rate\((\d+) minutes?\)$/.exec(expression);
    if (!rate) throw new Error(`heartbeat schedule ${expression} is not modelled`);
    calls += 1 / Number(rate[1]);
  }
  return calls;
}

/** Reads the release policy of a synthesized environment: nothing here restates a threshold or a setting. */
export function releasePlanOf(template: Template, environment: string): ReleasePlan {
  const functionId = cryptogramFunctionId(template);
  const versionId = logicalIdOf(template, 'AWS::Lambda::Version');
  const aliasId = logicalIdOf(template, 'AWS::Lambda::Alias');
  const apiId = logicalIdOf(template, 'AWS::ApiGateway::RestApi');
  const stageId = logicalIdOf(template, 'AWS::ApiGateway::Stage');
  const alias = template.findResources('AWS::Lambda::Alias')[aliasId] as Json;
  const functionName = `CryptogramService-${environment}-Function`;
  const newVersion = '8';

  const resolve = (value: unknown): string => {
    if (typeof value === 'string') return value;
    const intrinsic = value as Json;
    if (intrinsic?.Ref === functionId) return functionName;
    const [resource, attribute] = intrinsic?.['Fn::GetAtt'] ?? [];
    if (resource === versionId && attribute === 'Version') return newVersion;
    const join = intrinsic?.['Fn::Join'];
    if (join) return (join[1] as unknown[]).map(resolve).join(join[0]);
    throw new Error(`cannot resolve ${JSON.stringify(value)} to a deployed value`);
  };
  const names: DeployedNames = {
    functionName,
    liveAlias: resolve(alias.Properties.Name),
    newVersion,
    oldVersion: String(Number(newVersion) - 1),
    apiName: resolve(propertiesOf(template, 'AWS::ApiGateway::RestApi', apiId).Name),
    stage: resolve(propertiesOf(template, 'AWS::ApiGateway::Stage', stageId).StageName),
  };

  const update = alias.UpdatePolicy?.CodeDeployLambdaAliasUpdate;
  if (!update) throw new Error('the live alias is not moved by CodeDeploy');
  if (update.AfterAllowTrafficHook) throw new Error('an after-traffic hook is not modelled');
  const group = propertiesOf(template, 'AWS::CodeDeploy::DeploymentGroup', update.DeploymentGroupName.Ref);
  const { AlarmConfiguration: alarmConfiguration = {}, AutoRollbackConfiguration: rollback = {} } = group;
  const alarmsRollBack = alarmConfiguration.Enabled === true && !alarmConfiguration.IgnorePollAlarmFailure;
  if (alarmsRollBack && !(rollback.Enabled && rollback.Events?.includes('DEPLOYMENT_STOP_ON_ALARM'))) {
    throw new Error('a deployment stopped by an alarm without rolling back is not modelled');
  }
  const alarms = alarmsRollBack
    ? (alarmConfiguration.Alarms as Json[]).map(({ Name }) => {
        const id = Name.Ref as string;
        return {
          name: short(id),
          definition: readAlarm(id, propertiesOf(template, 'AWS::CloudWatch::Alarm', id), resolve),
        };
      })
    : [];

  let probe: Probe | undefined;
  if (update.BeforeAllowTrafficHook) {
    const hook = propertiesOf(template, 'AWS::Lambda::Function', update.BeforeAllowTrafficHook.Ref);
    const variables = Object.entries(hook.Environment?.Variables ?? {}).filter(
      ([, value]) => typeof value === 'string',
    );
    probe = readProbe(Object.fromEntries(variables) as Record<string, string>);
    if (!probe) throw new Error('the pre-traffic check has no probe ids');
  }

  return {
    environment,
    names,
    alarms,
    shift: trafficShift(template, group),
    probe,
    heartbeatCallsPerMinute: heartbeatCallsPerMinute(template),
  };
}
