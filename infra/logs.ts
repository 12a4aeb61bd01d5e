import { RemovalPolicy } from 'aws-cdk-lib';
import { LogGroup, type LogGroupProps, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';

const LOG_RETENTION = RetentionDays.ONE_YEAR;

/** A log group kept for a year, and kept when the stack goes: logs outlive the resources that wrote them. */
export function retainedLogGroup(scope: Construct, id: string, props: LogGroupProps = {}): LogGroup {
  return new LogGroup(scope, id, { ...props, retention: LOG_RETENTION, removalPolicy: RemovalPolicy.RETAIN });
}
