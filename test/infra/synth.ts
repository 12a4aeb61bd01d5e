import type { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import cdkJson from '../../cdk.json' with { type: 'json' };
import { buildApp } from '../../infra/app.ts';
import type { CryptogramServiceStack } from '../../infra/cryptogram-service-stack.ts';

export interface Synthesized {
  app: App;
  stack: CryptogramServiceStack;
  template: Template;
}

/**
 * Builds the app exactly as `cdk synth` does (cdk.json's feature flags, cdk-nag attached, real esbuild bundling
 * of lambda/handler.ts) with extra context values, and synthesizes it.
 */
export function synthesize(context: Record<string, unknown> = {}): Synthesized {
  const { app, stack } = buildApp({ context: { ...cdkJson.context, ...context } });
  return { app, stack, template: Template.fromStack(stack) };
}

/** The logical id of the one resource of a type, for matching the `Ref`s and `GetAtt`s that point at it. */
export function logicalIdOf(template: Template, type: string): string {
  const ids = Object.keys(template.findResources(type));
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
