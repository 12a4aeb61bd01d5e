import { Alarm, type AlarmProps, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import type { Construct } from 'constructs';

/** Where the on-call engineer reads what an alarm means and what to do. */
const RUNBOOK = 'docs/runbook.md';

export interface RunbookAlarmProps extends Omit<AlarmProps, 'alarmDescription'> {
  /** What firing means; the description adds the runbook section to read. */
  meaning: string;
  /** Notified when the alarm fires; none where the environment has no action. */
  alarmActionArn: string | undefined;
}

/**
 * The alarm `<alarmId>Alarm`: its description names its section in the runbook (the headings there are the alarm
 * ids), and it notifies the environment's alarm action when there is one. It fires at or above the threshold,
 * and a period without data breaches nothing, unless the props say otherwise.
 */
export function runbookAlarm(scope: Construct, alarmId: string, props: RunbookAlarmProps): Alarm {
  const { meaning, alarmActionArn, ...alarmProps } = props;
  const alarm = new Alarm(scope, `${alarmId}Alarm`, {
    comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: TreatMissingData.NOT_BREACHING,
    ...alarmProps,
    alarmDescription: `${meaning}. What to do: ${RUNBOOK}#${alarmId.toLowerCase()}`,
  });
  if (alarmActionArn) alarm.addAlarmAction({ bind: () => ({ alarmActionArn }) });
  return alarm;
}
