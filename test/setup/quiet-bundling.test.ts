import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { CDK_BUNDLING_LINE, dropCdkBundlingLine } from './quiet-bundling.ts';

function patchedStream(): { stream: PassThrough; written: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  dropCdkBundlingLine(stream);
  return { stream, written: () => Buffer.concat(chunks).toString('utf8') };
}

describe('the test setup that keeps CDK’s bundling line out of the output', () => {
  it('drops exactly the line CDK writes before it bundles an asset', () => {
    const { stream, written } = patchedStream();
    stream.write('Bundling asset CryptogramService-dev/Function/Handler/Code/Stage...\n');
    expect(written()).toBe('');
  });

  it('passes every other write through unchanged, warnings and look-alikes included', () => {
    const { stream, written } = patchedStream();
    const others = [
      '▲ [WARNING] Import "x" will always be undefined\n',
      'Bundling asset CryptogramService-dev/Function/Handler/Code/Stage...\nand more\n',
      'Bundling asset failed: esbuild exited 1\n',
      'Bundling asset \n',
    ];
    for (const text of others) stream.write(text);
    stream.write(Buffer.from('Bundling asset as bytes...\n'));
    expect(written()).toBe(`${others.join('')}Bundling asset as bytes...\n`);
  });

  it('calls a write callback for a dropped line, as the stream would', { timeout: 1000 }, async () => {
    const { stream, written } = patchedStream();
    await new Promise<void>((done) => stream.write('Bundling asset A/B/Code/Stage...\n', () => done()));
    expect(written()).toBe('');
  });

  it('matches the line the installed aws-cdk-lib writes, so it stops matching loudly when CDK changes it', () => {
    const cdkLib = dirname(createRequire(import.meta.url).resolve('aws-cdk-lib/package.json'));
    const staging = join(cdkLib, 'core', 'lib', 'asset-staging.js');
    const source = readFileSync(staging, 'utf8');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: CDK's source text, placeholder included.
    expect(source).toContain('process.stderr.write(`Bundling asset ${this.node.path}...\n`)');
    expect(CDK_BUNDLING_LINE.test('Bundling asset CryptogramService-prod/Heartbeat/Handler/Code/Stage...\n')).toBe(
      true,
    );
  });
});
