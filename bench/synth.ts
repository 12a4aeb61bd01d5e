import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { ENV } from '../lambda/config.ts';
import { ROOT } from './bundle.ts';

export interface ShippedFunction {
  /** The function's code in the synthesized asset, exactly as the stack uploads it. */
  file: string;
  /** NODE_OPTIONS the stack sets on the function, if any. */
  nodeOptions: string | undefined;
}

interface Template {
  Resources: Record<
    string,
    {
      Type: string;
      Metadata?: Record<string, unknown>;
      Properties?: { Environment?: { Variables?: Record<string, unknown> } };
    }
  >;
}

const SYNTH_TIMEOUT_MS = 180_000;

/**
 * Runs `cdk synth` into `outdir` (offline: NodejsFunction bundles with the project's esbuild) and returns the
 * cryptogram function: the one bundled ESM function that reads the Cashfree secret (the stack's other function is
 * the release's pre-traffic check).
 */
export async function synthesizeFunction(outdir: string): Promise<ShippedFunction> {
  await new Promise<void>((resolve, reject) => {
    // No notices, version check or telemetry: the bench talks to no host but 127.0.0.1.
    const child = spawn(join(ROOT, 'node_modules/.bin/cdk'), ['synth', '-q', '--no-notices', '-o', outdir], {
      cwd: ROOT,
      env: {
        ...process.env,
        CDK_DISABLE_VERSION_CHECK: '1',
        CDK_DISABLE_CLI_TELEMETRY: 'true',
        // The app runs as `node infra/app.ts`: the same Node as the bench, whatever PATH says.
        PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}`,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), SYNTH_TIMEOUT_MS);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`cdk synth exited ${code}: ${stderr.trim().slice(-1000)}`));
    });
  });

  const manifest = JSON.parse(readFileSync(join(outdir, 'manifest.json'), 'utf8')) as {
    artifacts: Record<string, { type: string; properties?: { templateFile?: string } }>;
  };
  const functions: ShippedFunction[] = [];
  for (const artifact of Object.values(manifest.artifacts)) {
    const templateFile = artifact.properties?.templateFile;
    if (artifact.type !== 'aws:cloudformation:stack' || !templateFile) continue;
    const template = JSON.parse(readFileSync(join(outdir, templateFile), 'utf8')) as Template;
    for (const resource of Object.values(template.Resources)) {
      const assetPath = resource.Metadata?.['aws:asset:path'];
      if (resource.Type !== 'AWS::Lambda::Function' || typeof assetPath !== 'string') continue;
      const file = join(outdir, assetPath, 'index.mjs');
      const variables = resource.Properties?.Environment?.Variables ?? {};
      if (!(ENV.secretId in variables)) continue;
      const nodeOptions = variables.NODE_OPTIONS;
      if (existsSync(file))
        functions.push({ file, nodeOptions: typeof nodeOptions === 'string' ? nodeOptions : undefined });
    }
  }
  const [only, ...others] = functions;
  if (!only || others.length > 0)
    throw new Error(`expected one bundled cryptogram function in ${outdir}, found ${functions.length}`);
  return only;
}
