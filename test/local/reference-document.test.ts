import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { newLocalIamCredentials, startLocalApi } from '../../local/api-server.ts';
import type { RunningServer } from '../../local/http.ts';
import { DEFAULT_OPENAPI_FILE } from '../../local/reference-page.ts';
import { sendRaw } from './raw-http.ts';

interface Served {
  info: { description: string };
  servers: { url: string; description?: string }[];
}

// The page never needs the function; one that fails loudly proves the document is served without it.
const handler = async () => {
  throw new Error('serving the document must not invoke the function');
};
let open: RunningServer;
let signed: RunningServer;

beforeAll(async () => {
  open = await startLocalApi({ handler });
  signed = await startLocalApi({ handler, iam: { region: 'us-east-1', credentials: newLocalIamCredentials() } });
});

afterAll(async () => {
  await Promise.all([open.close(), signed.close()]);
});

const served = async (api: RunningServer) =>
  parse(await (await fetch(`${api.url}/__local/openapi.yaml`)).text()) as Served;

describe('the OpenAPI document npm start serves for its reference page', () => {
  it('lists this server first and keeps the deployed stage URL template after it', async () => {
    const inRepo = parse(await readFile(DEFAULT_OPENAPI_FILE, 'utf8')) as Served;
    const document = await served(open);

    expect(document.servers[0]?.url).toBe(open.url);
    expect(document.servers.slice(1)).toEqual(inRepo.servers);
    expect(inRepo.servers[0]?.url).toMatch(/^https:\/\/\{api-id\}\.execute-api\.\{region\}\.amazonaws\.com\/v1$/);
    expect(document.info.description).toBe(inRepo.info.description);
  });

  it('names the server by the host the browser used to reach it', async () => {
    const answer = await sendRaw(open.port, {
      target: '/__local/openapi.yaml',
      headers: [['host', `localhost:${open.port}`]],
    });

    expect((parse(answer.body) as Served).servers[0]?.url).toBe(`http://localhost:${open.port}`);
  });

  it('never echoes a Host that is not a host name into the document', async () => {
    const answer = await sendRaw(open.port, {
      target: '/__local/openapi.yaml',
      headers: [['host', 'evil.example/"><script>']],
    });

    expect(answer.body).not.toContain('evil');
    expect((parse(answer.body) as Served).servers[0]?.url).toBe(open.url);
  });

  it('says plainly, with LOCAL_AUTH=iam, that the page cannot sign its calls', async () => {
    const document = await served(signed);

    expect(document.servers[0]?.url).toBe(signed.url);
    expect(document.servers[0]?.description).toMatch(/signed calls only, which this page cannot make/);
    expect(document.info.description).toMatch(/^\*\*Served by `npm start` with `LOCAL_AUTH=iam`:\*\*/);
    expect(document.info.description).toContain('missing_authentication_token');
  });
});
