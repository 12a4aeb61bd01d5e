import { describe, expect, it } from 'vitest';
import { logicalIdOf, synthesize } from './synth.ts';

const { template: staging } = synthesize('staging');
const { template: dev } = synthesize('dev');
const outputs = staging.toJSON().Outputs as Record<string, { Value: unknown; Description?: string }>;
const apiId = logicalIdOf(staging, 'AWS::ApiGateway::RestApi');
const stageUrl = ['https://', { Ref: apiId }, '.execute-api.ap-south-1.', { Ref: 'AWS::URLSuffix' }];

describe('the stack outputs', () => {
  it('give BaseUrl: the stage URL the client takes, without a trailing slash', () => {
    expect(outputs.BaseUrl?.Value).toEqual({ 'Fn::Join': ['', [...stageUrl, '/v1']] });
  });

  it('say that InvokeUrl is the method URL with placeholders, not a base URL', () => {
    expect(outputs.InvokeUrl?.Description).toMatch(
      /method URL with \{customer_id\} and \{instrument_id\} placeholders/,
    );
    expect(outputs.InvokeUrl?.Description).toMatch(/not a base URL/);
    expect(JSON.stringify(outputs.InvokeUrl?.Value)).toContain(
      '/customers/{customer_id}/instruments/{instrument_id}/cryptogram',
    );
  });

  it('name no other URL of the API, so nobody points the client at the wrong one', () => {
    const urls = Object.entries(outputs).filter(([, output]) => JSON.stringify(output.Value).includes('execute-api.'));
    expect(urls.map(([name]) => name).sort()).toEqual(['BaseUrl', 'InvokeUrl']);
  });

  it('give the dashboard URL and every log group by name', () => {
    const dashboardId = logicalIdOf(staging, 'AWS::CloudWatch::Dashboard');
    expect(JSON.stringify(outputs.DashboardUrl?.Value)).toContain(
      `"https://ap-south-1.console.aws.amazon.com/cloudwatch/home?region=ap-south-1#dashboards/dashboard/",{"Ref":"${dashboardId}"}`,
    );
    for (const name of [
      'FunctionLogGroup',
      'AccessLogGroup',
      'ExecutionLogGroup',
      'PreTrafficCheckLogGroup',
      'HeartbeatLogGroup',
    ]) {
      const value = outputs[name]?.Value as { Ref?: string };
      expect(staging.findResources('AWS::Logs::LogGroup')[value?.Ref ?? '']).toBeDefined();
    }
  });

  it('give no heartbeat log group where there is no heartbeat', () => {
    expect(Object.keys(dev.toJSON().Outputs)).not.toContain('HeartbeatLogGroup');
  });
});
