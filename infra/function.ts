import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Alias, Architecture, type IVersion, LoggingFormat, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ENV } from '../lambda/config.ts';
import type { Credentials } from './credentials.ts';
import { FUNCTION_BUNDLING } from './function-bundling.ts';
import type { Settings } from './settings.ts';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
// A backstop well above the function's own 5 s request budget, and below API Gateway's 29 s integration limit.
export const FUNCTION_TIMEOUT = Duration.seconds(10);
export const LOG_RETENTION = RetentionDays.ONE_YEAR;
/** The alias API Gateway invokes and CodeDeploy moves from version to version. */
export const LIVE_ALIAS = 'live';

export interface CryptogramFunctionProps {
  settings: Pick<Settings, 'functionEnvironment' | 'reservedConcurrency' | 'provisionedConcurrency'>;
  credentials: Credentials;
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

  constructor(scope: Construct, id: string, { settings, credentials }: CryptogramFunctionProps) {
    super(scope, id);
    this.logGroup = new LogGroup(this, 'Logs', { retention: LOG_RETENTION, removalPolicy: RemovalPolicy.RETAIN });

    // A role of our own instead of AWSLambdaBasicExecutionRole: it may write to this one log group only.
    const role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: 'Cryptogram function: write its log group, read its one secret, send X-Ray traces',
    });
    this.logGroup.grantWrite(role);

    const { reservedConcurrency, provisionedConcurrency } = settings;
    this.function = new NodejsFunction(this, 'Handler', {
      entry: `${ROOT}lambda/handler.ts`,
      handler: 'handler',
      projectRoot: ROOT,
      depsLockFilePath: `${ROOT}package-lock.json`,
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: 512,
      timeout: FUNCTION_TIMEOUT,
      role,
      logGroup: this.logGroup,
      loggingFormat: LoggingFormat.JSON,
      tracing: Tracing.ACTIVE,
      reservedConcurrentExecutions: reservedConcurrency === 'none' ? undefined : reservedConcurrency,
      description: 'Returns a Cashfree network token cryptogram',
      environment: {
        ...settings.functionEnvironment,
        [ENV.secretId]: credentials.secret.secretArn,
        NODE_OPTIONS: '--enable-source-maps',
      },
      // Old versions stay, so that CodeDeploy can shift traffic back to the one before.
      currentVersionOptions: { removalPolicy: RemovalPolicy.RETAIN },
      bundling: FUNCTION_BUNDLING,
    });
    credentials.grantRead(this.function);

    // currentVersion's logical id hashes the code and configuration, so every change publishes a new version.
    this.version = this.function.currentVersion;
    this.alias = new Alias(this, 'Live', {
      aliasName: LIVE_ALIAS,
      version: this.version,
      provisionedConcurrentExecutions: provisionedConcurrency?.min,
    });
    if (provisionedConcurrency) {
      this.alias
        .addAutoScaling({ minCapacity: provisionedConcurrency.min, maxCapacity: provisionedConcurrency.max })
        .scaleOnUtilization({ utilizationTarget: provisionedConcurrency.utilizationTarget });
    }

    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'xray:PutTraceSegments and xray:PutTelemetryRecords support no resource scoping; AWS requires "*".',
    });
    Validations.of(this.function).acknowledge({
      id: 'Serverless-LambdaDLQ',
      reason: 'Only API Gateway invokes the function, synchronously; there is no async event to dead-letter.',
    });
  }
}
