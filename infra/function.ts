import { dirname, join } from 'node:path';
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Alias, type CfnAlias, type IVersion } from 'aws-cdk-lib/aws-lambda';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { LogGroup } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ENV } from '../lambda/config.ts';
import { bundledFunction, ROOT } from './bundling.ts';
import type { Credentials } from './credentials.ts';
import type { FixedEgress } from './egress.ts';
import { FUNCTION_BUNDLING } from './function-bundling.ts';
import type { Settings } from './settings.ts';

export { ROOT };
// A backstop well above the function's own 5 s request budget, and below API Gateway's 29 s integration limit.
export const FUNCTION_TIMEOUT = Duration.seconds(10);
/** The alias API Gateway invokes and CodeDeploy moves from version to version. */
export const LIVE_ALIAS = 'live';

/**
 * The function's source map, which `cdk synth` writes beside the stack's template in the cloud assembly
 * directory (`cdk.out/CryptogramService-<env>.function.mjs.map`) instead of into the deployed asset. Its
 * sources are relative to the project root.
 */
export const sourceMapArtifact = (stackName: string): string => `${stackName}.function.mjs.map`;

export interface CryptogramFunctionProps {
  settings: Pick<Settings, 'functionEnvironment' | 'reservedConcurrency' | 'provisionedConcurrency'>;
  credentials: Credentials;
  /** The VPC the function leaves from when the environment needs fixed outgoing addresses. */
  egress?: FixedEgress;
}

/**
 * The cryptogram function, its log group and role, the version each deploy publishes and the `live` alias
 * that callers reach, with provisioned concurrency on the alias when the environment asks for it.
 */
export class CryptogramFunction extends Construct {
  readonly function: NodejsFunction;
  readonly version: IVersion;
  readonly alias: Alias;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, { settings, credentials, egress }: CryptogramFunctionProps) {
    super(scope, id);
    const { reservedConcurrency, provisionedConcurrency } = settings;
    const mapName = sourceMapArtifact(Stack.of(this).stackName);
    const { function: fn, logGroup } = bundledFunction(this, 'Handler', {
      roleDescription: 'Cryptogram function: write its log group, read its one secret, send X-Ray traces',
      inSubnets: egress !== undefined,
      entry: `${ROOT}lambda/handler.ts`,
      memorySize: 512,
      timeout: FUNCTION_TIMEOUT,
      reservedConcurrentExecutions: reservedConcurrency === 'none' ? undefined : reservedConcurrency,
      description: 'Returns a Cashfree network token cryptogram',
      ...(egress && { vpc: egress.vpc, vpcSubnets: egress.subnets, securityGroups: [egress.securityGroup] }),
      // No NODE_OPTIONS=--enable-source-maps: no map ships, and the runtime would only pay for looking.
      environment: { ...settings.functionEnvironment, [ENV.secretId]: credentials.secret.secretArn },
      // Old versions stay, so that CodeDeploy can shift traffic back to the one before.
      currentVersionOptions: { removalPolicy: RemovalPolicy.RETAIN },
      bundling: {
        ...FUNCTION_BUNDLING,
        // The map is moved out of the asset right after bundling: the asset hash is then the emitted code's
        // alone, the same at any output path, and an edit that changes no emitted code (a comment) publishes
        // no new version.
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          afterBundling: (_inputDir, outputDir) => [
            [process.execPath, `${ROOT}infra/source-map-artifact.ts`, outputDir, join(dirname(outputDir), mapName)]
              .map((word) => JSON.stringify(word))
              .join(' '),
          ],
        },
      },
    });
    this.function = fn;
    this.logGroup = logGroup;
    credentials.grantRead(fn);

    // currentVersion's logical id hashes the code and configuration, so every change publishes a new version.
    this.version = this.function.currentVersion;
    // No provisioned concurrency on the alias resource itself: Application Auto Scaling owns the number (see
    // docs/release.md, "Provisioned concurrency and releases"). Lambda refuses a provisioned-concurrency change on
    // an alias that routes to two versions, so a `min` set here would fail a deploy that also ships new code.
    this.alias = new Alias(this, 'Live', { aliasName: LIVE_ALIAS, version: this.version });
    if (provisionedConcurrency) {
      const scaling = this.alias.addAutoScaling({
        minCapacity: provisionedConcurrency.min,
        maxCapacity: provisionedConcurrency.max,
      });
      scaling.scaleOnUtilization({ utilizationTarget: provisionedConcurrency.utilizationTarget });
      // Updated only once the alias update, and with it CodeDeploy's traffic shift, has finished: a new `min`
      // then lands on an alias that routes to one version again.
      scaling.node.addDependency(this.alias.node.defaultChild as CfnAlias);
    }

    Validations.of(this.function).acknowledge({
      id: 'Serverless-LambdaDLQ',
      reason: 'Only API Gateway invokes the function, synchronously; there is no async event to dead-letter.',
    });
  }
}
