import { App, type AppProps, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { CryptogramServiceStack } from './cryptogram-service-stack.ts';

/** Builds the app `cdk synth` runs: the one stack, checked by the cdk-nag packs on every synthesis. */
export function buildApp(props?: AppProps): { app: App; stack: CryptogramServiceStack } {
  const app = new App(props);
  const stack = new CryptogramServiceStack(app, 'CryptogramService', {
    description: 'Cashfree network token cryptograms behind an IAM-authorised REST API',
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
  return { app, stack };
}

if (import.meta.main) buildApp();
