import { SettingsError } from '../settings.ts';
import { createClients, destroyClients, resolvedRegion } from './aws.ts';
import { type Finding, runChecks } from './checks.ts';
import { parseContext, USAGE, UsageError } from './context.ts';
import { loadTarget } from './target.ts';

export interface PreflightOptions {
  /** Stand-in for `infra/environments.ts`, for tests. */
  environments?: Record<string, unknown>;
  /** Where each report line goes; stdout by default. */
  write?: (line: string) => void;
}

const line = ({ level, text }: Finding): string => `${level.padEnd(7)} ${text}`;

/**
 * `npm run preflight -- -c env=<name>`: checks, with the operator's AWS credentials, what a first deploy of
 * that environment would otherwise find out from CloudFormation minutes in. Prints one line per finding and
 * resolves to the exit code: 0 without problems, 1 with any, 2 for a command line it cannot read.
 */
export async function preflight(argv: readonly string[], options: PreflightOptions = {}): Promise<number> {
  const write = options.write ?? ((text: string) => process.stdout.write(`${text}\n`));
  let target: ReturnType<typeof loadTarget>;
  try {
    target = loadTarget(parseContext(argv, options.environments), options.environments);
  } catch (error) {
    if (error instanceof UsageError) {
      write(`${error.message}\n${USAGE}`);
      return 2;
    }
    if (!(error instanceof SettingsError)) throw error;
    write(error.message);
    return 1;
  }

  const operatorRegion = await resolvedRegion();
  const region = target.settings.region ?? operatorRegion;
  if (region === undefined) {
    write(line({ level: 'problem', text: `${target.name} is not pinned and no AWS region is set: set AWS_REGION` }));
    return 1;
  }
  const clients = createClients(region);
  let findings: Finding[];
  try {
    findings = await runChecks(target, clients, region, operatorRegion);
  } finally {
    destroyClients(clients);
  }
  for (const finding of findings) write(line(finding));
  const problems = findings.filter(({ level }) => level === 'problem').length;
  const deploy = `npx cdk deploy -c env=${target.name}`;
  if (problems === 0) {
    write(`preflight: no problems found for ${target.stackName}; ${deploy} can go ahead`);
  } else {
    const [count, them] = problems === 1 ? ['1 problem', 'it'] : [`${problems} problems`, 'them'];
    write(`preflight: ${count} for ${target.stackName}; fix ${them} before ${deploy}`);
  }
  return problems === 0 ? 0 : 1;
}

if (import.meta.main) process.exitCode = await preflight(process.argv.slice(2));
