import { CodeDeployClient, PutLifecycleEventHookExecutionStatusCommand } from '@aws-sdk/client-codedeploy';
import { type InvokeCommandOutput, LambdaClient } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach } from 'vitest';
import { createPreTrafficCheck, type PreTrafficCheckDeps } from '../../infra/functions/pre-traffic-check.ts';
import { PROBE_DEFAULTS, probeEnvironment, TARGET_VERSION_ENV } from '../../infra/functions/probe.ts';

export const VERSION_ARN = 'arn:aws:lambda:ap-south-1:222222222222:function:CryptogramService-prod-Handler:7';
export const EVENT = { DeploymentId: 'd-EXAMPLE123', LifecycleEventHookExecutionId: 'hook-execution-1' };
/** The hook's environment as the stack sets it: the version under release and the default probe ids. */
export const HOOK_ENV = { [TARGET_VERSION_ENV]: VERSION_ARN, ...probeEnvironment(PROBE_DEFAULTS) };
// The SDK types the payload as its blob adapter; the hook only decodes the bytes.
export const bytes = (text: string) => new TextEncoder().encode(text) as InvokeCommandOutput['Payload'];
export const encode = (value: unknown) => bytes(JSON.stringify(value));

/**
 * The pre-traffic hook's two AWS clients, faked at the SDK (aws-sdk-client-mock), and the lines the hook logs:
 * before each test the fakes are reset, CodeDeploy accepts the report and nothing is logged yet.
 */
export function fakeHookClients() {
  const lambda = mockClient(LambdaClient);
  const codedeploy = mockClient(CodeDeployClient);
  const logged: string[] = [];
  beforeEach(() => {
    lambda.reset();
    codedeploy.reset();
    codedeploy.on(PutLifecycleEventHookExecutionStatusCommand).resolves({});
    logged.length = 0;
  });
  return {
    lambda,
    codedeploy,
    logged,
    /** The hook with real SDK clients (the fakes answer them) and `HOOK_ENV`, unless `overrides` say otherwise. */
    checkWith: (overrides: Partial<PreTrafficCheckDeps> = {}) =>
      createPreTrafficCheck({
        lambda: new LambdaClient({ region: 'ap-south-1' }),
        codedeploy: new CodeDeployClient({ region: 'ap-south-1' }),
        env: HOOK_ENV,
        log: (line) => logged.push(line),
        ...overrides,
      }),
    /** What the hook reported to CodeDeploy, if it reported. */
    reported: () => codedeploy.commandCalls(PutLifecycleEventHookExecutionStatusCommand)[0]?.args[0].input,
  };
}
