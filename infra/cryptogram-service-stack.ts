import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { RESOURCE_PATH } from '../api/resource.ts';
import { CryptogramApi } from './api.ts';
import { Credentials } from './credentials.ts';
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
  readonly service: CryptogramFunction;
  readonly api: CryptogramApi;
  readonly monitoring: Monitoring;
  readonly release: Release;
  readonly heartbeat: Heartbeat | undefined;

  constructor(scope: Construct, id: string, props: CryptogramServiceStackProps) {
    super(scope, id, props);
    const { settings } = props;

    this.credentials = new Credentials(this, 'Credentials', settings);
    this.service = new CryptogramFunction(this, 'Function', { settings, credentials: this.credentials });
    this.api = new CryptogramApi(this, 'Api', { settings, target: this.service.alias });
    this.heartbeat = settings.heartbeat.enabled
      ? new Heartbeat(this, 'Heartbeat', { settings, api: this.api, target: this.service.function })
      : undefined;
    this.monitoring = new Monitoring(this, 'Monitoring', {
      settings,
      function: this.service.function,
      alias: this.service.alias,
      api: this.api.api,
      accessLogs: this.api.accessLogs,
      heartbeat: this.heartbeat,
    });
    this.release = new Release(this, 'Release', {
      target: this.service,
      release: settings.release,
      probe: settings.probe,
      stage: this.api.api.deploymentStage,
      alarmActionArn: settings.alarmActionArn,
    });

    new CfnOutput(this, 'InvokeUrl', {
      value: this.api.api.urlForPath(RESOURCE_PATH),
      description: 'GET, SigV4-signed',
    });
    new CfnOutput(this, 'MethodArnPattern', {
      value: this.api.methodArnPattern,
      description: 'Resource for execute-api:Invoke in a caller IAM policy',
    });
    new CfnOutput(this, 'SecretArn', {
      value: this.credentials.secret.secretArn,
      description: 'Put {"client_id","client_secret"} here',
    });
    new CfnOutput(this, 'FunctionName', { value: this.service.function.functionName });
    new CfnOutput(this, 'LiveAlias', { value: this.service.alias.functionArn, description: 'What the API invokes' });
    new CfnOutput(this, 'DeploymentGroup', {
      value: this.release.deploymentGroup.deploymentGroupName,
      description: 'CodeDeploy group that shifts traffic between versions',
    });
    new CfnOutput(this, 'Application', { value: this.release.deploymentGroup.application.applicationName });
  }
}
