import { type App, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import cdkJson from '../../cdk.json' with { type: 'json' };
import { buildApp } from '../../infra/app.ts';
import type { CryptogramServiceStack } from '../../infra/cryptogram-service-stack.ts';
import { ENVIRONMENTS, type EnvironmentName } from '../../infra/environments.ts';
import type { EnvironmentSettings } from '../../infra/settings.ts';

export interface Synthesized {
  app: App;
  stack: CryptogramServiceStack;
  template: Template;
}

/** A private API (one VPC endpoint) whose heartbeat runs in the VPC: the shape the most settings touch. */
export const PRIVATE_API: Partial<EnvironmentSettings> = {
  endpoint: { vpcEndpointIds: ['vpce-0123456789abcdef0'] },
  heartbeat: {
    enabled: true,
    vpc: {
      subnetIds: ['subnet-0123456789abcdef0'],
      securityGroupIds: ['sg-0123456789abcdef0'],
      vpcEndpointId: 'vpce-0123456789abcdef0',
    },
  },
};

/**
 * Builds the app exactly as `cdk synth -c env=<name>` does (cdk.json's feature flags, cdk-nag attached, real
 * esbuild bundling) and synthesizes it. `overrides` change the committed environment's settings for the test.
 */
export function synthesize(
  name: EnvironmentName = 'dev',
  overrides: Partial<EnvironmentSettings> = {},
  context: Record<string, unknown> = {},
): Synthesized {
  const environments = { ...ENVIRONMENTS, [name]: { ...ENVIRONMENTS[name], ...overrides } };
  const { app, stack } = buildApp({ context: { ...cdkJson.context, env: name, ...context }, environments });
  return { app, stack, template: Template.fromStack(stack) };
}

/** The logical id of the one resource of a type, for matching the `Ref`s and `GetAtt`s that point at it. */
export function logicalIdOf(template: Template, type: string, props: object = {}): string {
  const ids = Object.keys(template.findResources(type, props));
  if (ids.length !== 1) throw new Error(`expected one ${type}, found ${ids.length}`);
  return ids[0] as string;
}

/** The properties of one resource, failing loudly when it is not there. */
// biome-ignore lint/suspicious/noExplicitAny: CloudFormation properties are untyped JSON.
export function propertiesOf(template: Template, type: string, id: string): Record<string, any> {
  const resource = template.findResources(type)[id];
  if (!resource) throw new Error(`no ${type} ${id}`);
  return resource.Properties ?? {};
}

/** The logical id of the cryptogram function (the one with the secret in its environment), not the hook. */
export function cryptogramFunctionId(template: Template): string {
  const [id, ...others] = Object.entries(template.findResources('AWS::Lambda::Function'))
    .filter(([, resource]) => resource.Properties?.Environment?.Variables?.CASHFREE_SECRET_ID !== undefined)
    .map(([logicalId]) => logicalId);
  if (!id || others.length > 0) throw new Error('expected one cryptogram function');
  return id;
}

/** Every cdk-nag or template-check finding acknowledged under `scope`: on which construct, which rule, and why. */
export const acknowledgements = (scope: IConstruct): Array<{ path: string; id: string; reason: string }> =>
  scope.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({
          path: construct.node.path,
          id: id.replace(/^annotation::/i, ''),
          reason,
        })),
      ),
  );

/** What Lambda needs to attach a function to subnets: the content of AWSLambdaVPCAccessExecutionRole. */
export const SUBNET_ACTIONS = [
  'ec2:AssignPrivateIpAddresses',
  'ec2:CreateNetworkInterface',
  'ec2:DeleteNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeSubnets',
  'ec2:UnassignPrivateIpAddresses',
];
