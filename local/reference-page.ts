import { readFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sendJson } from './http.ts';

export const OPENAPI_PATH = '/__local/openapi.yaml';
export const REFERENCE_PAGE_PATH = '/__local/docs';

/** The service's OpenAPI document in the repository. */
export const DEFAULT_OPENAPI_FILE = fileURLToPath(new URL('../api/openapi.yaml', import.meta.url));

// Only the files the page loads, never a directory listing of node_modules.
const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
};

const swaggerUiDir = (): string => {
  const require = createRequire(import.meta.url);
  return (require('swagger-ui-dist') as { getAbsoluteFSPath(): string }).getAbsoluteFSPath();
};

// Swagger UI from the installed swagger-ui-dist, nothing from a CDN: the page works with no network at all.
// `validatorUrl: null` stops its default call to validator.swagger.io.
const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>cryptogram-service API reference</title>
  <link rel="stylesheet" href="${REFERENCE_PAGE_PATH}/swagger-ui.css">
  <link rel="icon" type="image/png" href="${REFERENCE_PAGE_PATH}/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="${REFERENCE_PAGE_PATH}/swagger-ui-bundle.js"></script>
  <script>
    window.ui = SwaggerUIBundle({
      url: ${JSON.stringify(OPENAPI_PATH)},
      dom_id: '#swagger-ui',
      validatorUrl: null,
      deepLinking: true,
      defaultModelsExpandDepth: 0,
      docExpansion: 'full',
    });
  </script>
</body>
</html>
`;

/**
 * Serves the OpenAPI document and a rendered reference page for it. Answers `true` when `path` was one of
 * them, so the caller can route everything else.
 */
export async function serveReference(path: string, res: ServerResponse, openApiFile: string): Promise<boolean> {
  if (path === OPENAPI_PATH) {
    const document = await readFile(openApiFile, 'utf8').catch(() => undefined);
    if (document === undefined) {
      sendJson(res, 404, { message: `No OpenAPI document at ${openApiFile}`, code: 'not_found' });
    } else {
      res.writeHead(200, { 'content-type': 'application/yaml; charset=utf-8', 'cache-control': 'no-cache' });
      res.end(document);
    }
    return true;
  }
  if (path === REFERENCE_PAGE_PATH || path === `${REFERENCE_PAGE_PATH}/`) {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' });
    res.end(PAGE);
    return true;
  }
  const asset = path.startsWith(`${REFERENCE_PAGE_PATH}/`) ? path.slice(REFERENCE_PAGE_PATH.length + 1) : '';
  const contentType = ASSETS[asset];
  if (!contentType) return false;
  const body = await readFile(join(swaggerUiDir(), asset));
  res.writeHead(200, { 'content-type': contentType, 'cache-control': 'max-age=3600' });
  res.end(body);
  return true;
}
