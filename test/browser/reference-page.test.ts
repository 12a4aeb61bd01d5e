import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RESOURCE_PATH } from '../../api/resource.ts';
import { startLocalApi } from '../../local/api-server.ts';
import type { RunningServer } from '../../local/http.ts';

// Debian's chromium; CI installs it (.ci/run). Without it this file reports itself skipped, saying why.
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
const title = hasChromium
  ? 'the API reference page in a real browser'
  : `the API reference page in a real browser (skipped: no Chromium at ${CHROMIUM}; apt-get install chromium)`;

describe.skipIf(!hasChromium)(title, () => {
  let api: RunningServer;
  let browser: Browser;
  const requested: string[] = [];

  beforeAll(async () => {
    // The page never calls the function; a handler that would fail loudly proves it.
    api = await startLocalApi({
      handler: async () => {
        throw new Error('the reference page must not invoke the function');
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

  it('renders the operation and its error codes from the OpenAPI document, with nothing fetched from elsewhere', async () => {
    const page = await browser.newPage();
    page.on('request', (request) => {
      requested.push(request.url());
    });
    const errors: string[] = [];
    page.on('pageerror', (error) => {
      errors.push(error.message);
    });

    await page.goto(`${api.url}/__local/docs`);
    const operation = page.locator('.opblock-summary-path', { hasText: '/customers/' });
    await operation.first().waitFor({ timeout: 30_000 });
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
  });
});
