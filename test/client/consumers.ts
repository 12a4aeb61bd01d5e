import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

// Two services of the kinds that adopt the client: a strict TypeScript ESM one and an older CommonJS one
// compiled with `moduleResolution: node10`. The sources live here as text, not as .ts files of this repository,
// because they import the package by its name, which only their own node_modules holds.

/** What each consumer does: one call that succeeds, one that fails, and the misuse that must not compile. */
const CONSUMER_SOURCE = `import {
  createCryptogramClient,
  CryptogramServiceError,
  type Cryptogram,
  type CryptogramErrorCode,
  type CryptogramErrorStatus,
} from '@cryptogram-service/client';

async function main(): Promise<void> {
  const baseUrl = process.argv[2] ?? '';
  const credentials = { accessKeyId: 'AKIACONSUMER', secretAccessKey: 'consumer-secret-key' };
  const client = createCryptogramClient({ baseUrl, region: 'ap-south-1', credentials, timeoutMs: 5000 });

  const answer: Cryptogram = await client.getCryptogram({ customerId: 'cust_1', instrumentId: 'i1' });
  const expiry: string = answer.card_expiry_mm + '/' + answer.card_expiry_yy;
  // @ts-expect-error card_display is absent when Cashfree sent none
  const display: string = answer.card_display;

  let code: CryptogramErrorCode | undefined;
  let status: CryptogramErrorStatus | undefined;
  try {
    await client.getCryptogram({ customerId: 'cust_missing', instrumentId: 'i1' });
  } catch (error) {
    if (!(error instanceof CryptogramServiceError)) throw error;
    // @ts-expect-error a misspelt code matches no code
    if (error.code === 'rate_limted') process.exitCode = 2;
    // @ts-expect-error a status the service never answers
    if (error.status === 302) process.exitCode = 3;
    code = error.code;
    status = error.status;
  }

  let refused = '';
  try {
    createCryptogramClient({
      baseUrl: 'https://a1b2c3d4e5.execute-api.ap-south-1.amazonaws.com/v1/customers/{customer_id}/instruments/{instrument_id}/cryptogram',
      region: 'ap-south-1',
    });
  } catch (error) {
    refused = error instanceof TypeError ? error.message : 'not a TypeError';
  }
  console.log(JSON.stringify({ instrument: answer.instrument_id, expiry, display, code, status, refused }));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
`;

const STRICT = {
  strict: true,
  noUncheckedIndexedAccess: true,
  exactOptionalPropertyTypes: true,
  skipLibCheck: false,
  types: ['node'],
  target: 'es2022',
  lib: ['es2023'],
  outDir: 'out',
};

export interface Consumer {
  dir: string;
  /** tsconfig files to type-check with, each naming the declaration file it must resolve the package to. */
  checks: { tsconfig: string; resolvesTo: string }[];
}

/** A strict ESM project: `"type": "module"`, `module` / `moduleResolution` `nodenext`: the `import` condition. */
export async function esmConsumer(root: string): Promise<Consumer> {
  const dir = join(root, 'esm-service');
  await project(
    dir,
    { type: 'module' },
    { 'tsconfig.json': { ...STRICT, module: 'nodenext', moduleResolution: 'nodenext' } },
  );
  return { dir, checks: [{ tsconfig: 'tsconfig.json', resolvesTo: 'dist/esm/index.d.ts' }] };
}

/**
 * A CommonJS project compiled with `module: commonjs` and `moduleResolution: node10`, which reads `types` and
 * ignores `exports`; also type-checked with `node16`, where a CommonJS file takes the `require` condition.
 */
export async function commonJsConsumer(root: string): Promise<Consumer> {
  const dir = join(root, 'commonjs-service');
  await project(
    dir,
    { type: 'commonjs' },
    {
      'tsconfig.json': { ...STRICT, module: 'commonjs', moduleResolution: 'node10', esModuleInterop: true },
      'tsconfig.node16.json': { ...STRICT, module: 'node16', moduleResolution: 'node16', noEmit: true },
    },
  );
  // Both copies in one process, as when a CommonJS dependency requires the client inside an ESM application.
  await writeFile(
    join(dir, 'both-copies.cjs'),
    `const cjs = require('@cryptogram-service/client');
import('@cryptogram-service/client').then((esm) => {
  const details = { code: 'throttled', status: 429, requestId: 'r', retryAfterSeconds: 1, attempts: 1 };
  console.log(JSON.stringify({
    twoCopies: esm.createCryptogramClient !== cjs.createCryptogramClient,
    esmErrorIsCjsError: new esm.CryptogramServiceError(details) instanceof cjs.CryptogramServiceError,
    cjsErrorIsEsmError: new cjs.CryptogramServiceError(details) instanceof esm.CryptogramServiceError,
    plainErrorIsNot: new Error('x') instanceof cjs.CryptogramServiceError,
  }));
});
`,
  );
  return {
    dir,
    checks: [
      { tsconfig: 'tsconfig.json', resolvesTo: 'dist/cjs/index.d.ts' },
      { tsconfig: 'tsconfig.node16.json', resolvesTo: 'dist/cjs/index.d.ts' },
    ],
  };
}

async function project(dir: string, packageFields: Record<string, unknown>, tsconfigs: Record<string, object>) {
  await mkdir(dir, { recursive: true });
  const name = dir.split('/').at(-1);
  await writeFile(
    join(dir, 'package.json'),
    JSON.stringify({ name, version: '1.0.0', private: true, ...packageFields }),
  );
  await writeFile(join(dir, 'index.ts'), CONSUMER_SOURCE);
  for (const [file, compilerOptions] of Object.entries(tsconfigs)) {
    await writeFile(join(dir, file), JSON.stringify({ compilerOptions, files: ['index.ts'] }, null, 2));
  }
}
