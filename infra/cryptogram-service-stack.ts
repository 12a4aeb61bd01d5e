import { CfnOutput, Fn, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { RESOURCE_PATH } from '../api/resource.ts';
import { CryptogramApi } from './api.ts';
import { Credentials } from './credentials.ts';
import { egressZones, FixedEgress } from './egress.ts';
import { CryptogramFunction } from './function.ts';
import { Heartbeat } from './heartbeat.ts';
import { Monitoring } from './monitoring.ts';
import { Release } from './release.ts';
import type { Settings } from './settings.ts';

export interface CryptogramServiceStackProps extends StackProps {
  settings: Settings;
}

/** One environment of the service: credentials, the function and its release, the API, and monitoring. */
export class CryptogramServiceStack extends Stack {
  readonly credentials: Credentials;
  readonly cryptogramFunction: CryptogramFunction;
  readonly api: CryptogramApi;
  readonly monitoring: Monitoring;
  readonly release: Release;
  readonly heartbeat: Heartbeat | undefined;
  readonly egress: FixedEgress | undefined;
  private readonly zones: string[];

  constructor(scope: Construct, id: string, props: CryptogramServiceStackProps) {
    super(scope, id, props);
    const { settings } = props;
    // Without egress the stack keeps CDK's default of two zones, picked the same way.
    this.zones = egressZones(settings.egress ?? { natGateways: 2 });

    this.credentials = new Credentials(this, 'Credentials', settings);
    this.egress = settings.egress
      ? new FixedEgress(this, 'Egress', { egress: settings.egress, secret: this.credentials.secret })
      : undefined;
    this.cryptogramFunction = new CryptogramFunction(this, 'Function', {
      settings,
      credentials: this.credentials,
      egress: this.egress,
    });
    this.api = new CryptogramApi(this, 'Api', { settings, target: this.cryptogramFunction.alias });
    this.heartbeat = settings.heartbeat.enabled
      ? new Heartbeat(this, 'Heartbeat', { settings, api: this.api, target: this.cryptogramFunction.function })
      : undefined;
    this.monitoring = new Monitoring(this, 'Monitoring', {
      settings,
      function: this.cryptogramFunction.function,
      alias: this.cryptogramFunction.alias,
      restApi: this.api.restApi,
      accessLogs: this.api.accessLogs,
      heartbeat: this.heartbeat,
    });
    this.release = new Release(this, 'Release', {
      target: this.cryptogramFunction,
      release: settings.release,
      probe: settings.probe,
      stage: this.api.restApi.deploymentStage,
      alarmActionArn: settings.alarmActionArn,
    });

    const output = (id: string, value: string, description?: string) =>
      new CfnOutput(this, id, { value, ...(description && { description }) });
    output('BaseUrl', this.api.baseUrl, 'Stage URL the client takes as baseUrl (createCryptogramClient)');
    output(
      'InvokeUrl',
      this.api.restApi.urlForPath(RESOURCE_PATH),
      'The method URL with {customer_id} and {instrument_id} placeholders, GET, SigV4-signed; not a base URL: ' +
        'the client takes BaseUrl',
    );
    output('MethodArnPattern', this.api.methodArnPattern, 'Resource for execute-api:Invoke in a caller IAM policy');
    output('SecretArn', this.credentials.secret.secretArn, 'Put {"client_id","client_secret"} here');
    output('FunctionName', this.cryptogramFunction.function.functionName);
    output('LiveAlias', this.cryptogramFunction.alias.functionArn, 'What the API invokes');
    output(
      'DeploymentGroup',
      this.release.deploymentGroup.deploymentGroupName,
      'CodeDeploy group that shifts traffic between versions',
    );
    output('Application', this.release.deploymentGroup.application.applicationName);
    output(
      'DashboardUrl',
      `https://${this.region}.console.aws.amazon.com/cloudwatch/home?region=${this.region}#dashboards/dashboard/${this.monitoring.dashboard.dashboardName}`,
      'The service dashboard: alarms, API, Cashfree, per-version shares and the heartbeat',
    );
    output('FunctionLogGroup', this.cryptogramFunction.logGroup.logGroupName, "The function's one JSON line per call");
    output('AccessLogGroup', this.api.accessLogs.logGroupName, "API Gateway's access log");
    output('ExecutionLogGroup', this.api.executionLogs.logGroupName, "API Gateway's execution log (errors only)");
    output('PreTrafficCheckLogGroup', this.release.preTrafficCheckLogs.logGroupName, 'One line per release verdict');
    if (this.heartbeat) {
      output('HeartbeatLogGroup', this.heartbeat.logGroup.logGroupName, 'One line per heartbeat, every minute');
    }
    if (this.egress) {
      output(
        'CashfreeAllowListIps',
        Fn.join(
          ', ',
          this.egress.addresses.map((address) => address.attrPublicIp),
        ),
        "Every call to Cashfree leaves from one of these addresses: give them all to Cashfree's IP allow-list",
      );
      output('EgressFlowLogGroup', this.egress.flowLogs.logGroupName, "The function VPC's flow logs");
    }
  }

  /**
   * The zones the egress setting names, or `Fn::GetAZs` picks: never CDK's context lookup, which a pinned stack
   * would otherwise make (with AWS credentials) as soon as anything asks for its zones.
   */
  override get availabilityZones(): string[] {
    return this.zones;
  }
}
