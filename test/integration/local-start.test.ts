import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_INSTRUMENTS } from '../../local/cashfree-simulator.ts';

// `npm start` as a newcomer runs it: a separate process, no configuration, answering plain HTTP on loopback.
let server: ChildProcess;
let baseUrl: string;
let output = '';

beforeAll(async () => {
  server = spawn(process.execPath, ['local/start.ts'], {
    env: { PATH: process.env.PATH, PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  server.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  baseUrl = await new Promise<string>((resolve, reject) => {
    let stderr = '';
    server.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const ready = /ready on (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr);
      if (ready?.[1]) resolve(ready[1]);
    });
    server.once('exit', (code) => reject(new Error(`npm start exited with ${code}: ${stderr}`)));
  });
});

afterAll(async () => {
  server.kill('SIGTERM');
  await once(server, 'exit');
});

const demo = DEMO_INSTRUMENTS[0];
const demoPath = `/customers/${demo?.customerId}/instruments/${demo?.instrumentId}/cryptogram`;

describe('npm start with no configuration', () => {
  it('serves a cryptogram for the demo card to a plain HTTP GET', async () => {
    const response = await fetch(`${baseUrl}${demoPath}`);
    const body = (await response.json()) as Record<string, unknown>;

    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(body.card_number).toBe(demo?.tokenPan);
    expect(body.cryptogram).toEqual(expect.any(String));
  });

  it('plays a Cashfree fault chosen by a sim_ customer id', async () => {
    const response = await fetch(`${baseUrl}/customers/sim_500/instruments/any/cryptogram`);

    expect(response.status).toBe(502);
    expect(await response.json()).toEqual({ message: 'Cashfree is unavailable', code: 'upstream_unavailable' });
  });

  it('keeps serving after the local credentials are rotated', async () => {
    const rotated = await fetch(`${baseUrl}/__local/rotate`, { method: 'POST' });
    const response = await fetch(`${baseUrl}${demoPath}`);

    expect(rotated.status).toBe(200);
    expect(response.status).toBe(200);
  });

  it('answers 404 with a JSON body for a path the API does not have', async () => {
    const response = await fetch(`${baseUrl}/customers/x/cryptogram`);

    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ code: 'not_found' });
  });

  it('logs each request as a JSON line without card data', async () => {
    const response = await fetch(`${baseUrl}${demoPath}`);
    const { cryptogram } = (await response.json()) as { cryptogram: string };
    const requestId = response.headers.get('x-request-id') ?? '';
    await expect.poll(() => output.includes(requestId)).toBe(true);

    const lines = output.trim().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(4);
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
    expect(output).not.toContain(demo?.tokenPan);
    expect(output).not.toContain(cryptogram);
  });
});
