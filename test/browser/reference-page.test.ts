import { existsSync } from 'node:fs';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RESOURCE_PATH } from '../../api/resource.ts';
import { startLocalApi } from '../../local/api-server.ts';
import type { RunningServer } from '../../local/http.ts';
import { skipWhen } from '../setup/skips.ts';
import { demo, setUp } from '../support/handler-harness.ts';

// Debian's chromium; CI installs it (.ci/run). Without it this file reports itself skipped, saying why.
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
// The reason and the command reach the run's summary (test/setup/skip-summary.ts).
const noChromium = hasChromium
  ? undefined
  : {
      reason: `no Chromium at ${CHROMIUM}`,
      enable: 'apt-get install chromium, or CHROMIUM_PATH=<its binary> npm test',
    };

// The real handler behind the local gateway, as npm start serves the page.
const ctx = hasChromium ? await setUp() : undefined;

describe('the API reference page in a real browser', skipWhen(noChromium), () => {
  let api: RunningServer;
  let browser: Browser;
  let invocations = 0;

  beforeAll(async () => {
    const handler = await (ctx as NonNullable<typeof ctx>).loadHandler();
    // It counts its invocations: showing the page must make none, "Execute" exactly one.
    api = await startLocalApi({
      handler: (event, context) => {
        invocations += 1;
        return handler(event, context);
      },
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await api?.close();
  });

  async function openReference(): Promise<{ page: Page; requested: string[]; errors: string[] }> {
    const page = await browser.newPage();
    const requested: string[] = [];
    const errors: string[] = [];
    page.on('request', (request) => {
      requested.push(request.url());
    });
    page.on('pageerror', (error) => {
      errors.push(error.message);
    });
    await page.goto(`${api.url}/__local/docs`);
    await page.locator('.opblock-summary-path', { hasText: '/customers/' }).first().waitFor({ timeout: 30_000 });
    return { page, requested, errors };
  }

  it('renders the operation and its error codes from the OpenAPI document, with nothing fetched from elsewhere', async () => {
    const before = invocations;
    const { page, requested, errors } = await openReference();
    const operation = page.locator('.opblock-summary-path', { hasText: '/customers/' });
    const text = (await page.locator('#swagger-ui').textContent()) ?? '';

    expect(((await operation.first().textContent()) ?? '').replace(/\u200b/g, '')).toBe(RESOURCE_PATH);
    expect(text).toContain('GET');
    for (const code of [
      'missing_authentication_token',
      'invalid_signature',
      'instrument_not_found',
      'upstream_unavailable',
      'rate_limited',
    ]) {
      expect(text).toContain(code);
    }
    expect(errors).toEqual([]);
    expect(requested.filter((url) => !url.startsWith(`${api.url}/`))).toEqual([]);
    // Showing the page calls nothing.
    expect(invocations).toBe(before);
    await page.close();
  });

  it('offers this server first, and "Try it out", "Execute" gets a 200 from it', async () => {
    const before = invocations;
    const { page, requested, errors } = await openReference();

    expect(await page.locator('.servers select option').first().textContent()).toContain(api.url);
    await page.getByRole('button', { name: 'Try it out' }).click();
    await page.getByRole('button', { name: 'Execute' }).click();
    const status = page.locator('.live-responses-table tr.response .response-col_status').first();
    await status.waitFor({ timeout: 30_000 });

    expect((await status.textContent())?.trim()).toBe('200');
    expect(requested).toContain(`${api.url}/customers/${demo.customerId}/instruments/${demo.instrumentId}/cryptogram`);
    expect(invocations).toBe(before + 1);
    expect(errors).toEqual([]);
    await page.close();
  });
});
