import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { esbuildProblem, ROOT } from '../../infra/bundling.ts';

// Each synth runs in a process of its own, as `cdk synth` runs the app: CDK caches bundles within a process,
// which would make two synths in one process agree whatever the bundles contain.
function synthInProcess(cwd: string, outdir: string) {
  return spawnSync(process.execPath, ['infra/app.ts'], {
    cwd,
    encoding: 'utf8',
    timeout: 180_000,
    env: {
      ...process.env,
      PATH: `${dirname(process.execPath)}:${process.env.PATH}`,
      CDK_OUTDIR: outdir,
      CDK_CONTEXT_JSON: JSON.stringify({ env: 'prod' }),
    },
  });
}

type Template = { Resources: Record<string, { Type: string; Properties?: { Code?: { S3Key?: string } } }> };
const templateIn = (outdir: string): Template =>
  JSON.parse(readFileSync(join(outdir, 'CryptogramService-prod.template.json'), 'utf8'));
const codeKeys = (template: Template): string[] =>
  Object.values(template.Resources)
    .filter((resource) => resource.Type === 'AWS::Lambda::Function')
    .map((resource) => String(resource.Properties?.Code?.S3Key))
    .sort();
const versionIds = (template: Template): string[] =>
  Object.keys(template.Resources).filter((id) => template.Resources[id]?.Type === 'AWS::Lambda::Version');

describe('the build', () => {
  it('gives the same asset hashes and the same version wherever cdk synth writes', () => {
    const base = mkdtempSync(join(tmpdir(), 'cryptogram-build-'));
    const shallow = join(base, 'out');
    const deep = join(base, 'a', 'b', 'c', 'd', 'out');

    for (const outdir of [shallow, deep]) {
      const run = synthInProcess(ROOT, outdir);
      expect(run.status, run.stderr).toBe(0);
    }

    const [first, second] = [templateIn(shallow), templateIn(deep)];
    expect(codeKeys(first)).toHaveLength(3);
    expect(codeKeys(second)).toEqual(codeKeys(first));
    expect(versionIds(second)).toEqual(versionIds(first));
    expect(versionIds(first)).toHaveLength(1);
  });
});

describe('a machine where esbuild cannot run', () => {
  it('is told so by the check, which runs the executable CDK would run', () => {
    expect(esbuildProblem(ROOT)).toBeUndefined();
    const broken = mkdtempSync(join(tmpdir(), 'cryptogram-esbuild-'));
    mkdirSync(join(broken, 'node_modules', 'esbuild'), { recursive: true });
    writeFileSync(join(broken, 'node_modules', 'esbuild', 'package.json'), '{"name":"esbuild","main":"x.js"}');
    writeFileSync(join(broken, 'node_modules', 'esbuild', 'x.js'), '');
    writeFileSync(join(broken, 'package.json'), '{}');
    expect(esbuildProblem(broken)).toMatch(/^esbuild cannot run on this machine/);
    expect(esbuildProblem(mkdtempSync(join(tmpdir(), 'cryptogram-empty-')))).toBe(
      'esbuild is not installed (run npm install)',
    );
  });

  it('fails the synth with one line and never tries Docker', () => {
    const project = projectWithoutEsbuild();

    const run = synthInProcess(project, join(project, 'cdk.out'));

    expect(run.status).toBe(1);
    expect(run.stderr.trim().split('\n')).toEqual([
      'Cannot bundle the functions: esbuild is not installed (run npm install). The synth never falls back to Docker.',
    ]);
    expect(run.stderr + run.stdout).not.toContain('Switching to Docker');
  });

  it('lets preflight, which bundles nothing, run without esbuild', () => {
    const project = projectWithoutEsbuild();
    const env: Record<string, string | undefined> = { ...process.env, AWS_EC2_METADATA_DISABLED: 'true' };
    for (const name of ['AWS_PROFILE', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN']) {
      delete env[name];
    }

    const run = spawnSync(process.execPath, ['infra/preflight/main.ts', '-c', 'env=staging'], {
      cwd: project,
      encoding: 'utf8',
      timeout: 120_000,
      env: { ...env, AWS_CONFIG_FILE: '/nonexistent/aws-config', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws' },
    });

    // Without credentials it stops at "whose credentials are these", one line, as it does with esbuild.
    expect(run.stdout + run.stderr).not.toMatch(/BundlingError|Cannot bundle/);
    expect(run.stdout).toMatch(/^problem .*credentials/m);
    expect(run.status).toBe(1);
  });
});

/** A copy of the project whose node_modules has every package but esbuild. */
function projectWithoutEsbuild(): string {
  const project = mkdtempSync(join(tmpdir(), 'cryptogram-no-esbuild-'));
  for (const entry of ['infra', 'lambda', 'api', 'client', 'local', 'package.json', 'package-lock.json', 'cdk.json']) {
    cpSync(join(ROOT, entry), join(project, entry), { recursive: true });
  }
  mkdirSync(join(project, 'node_modules'));
  for (const entry of readdirSync(join(ROOT, 'node_modules'))) {
    if (entry === 'esbuild' || entry === '.bin' || entry.startsWith('.')) continue;
    symlinkSync(join(ROOT, 'node_modules', entry), join(project, 'node_modules', entry));
  }
  return project;
}
