import type { IncomingMessage, ServerResponse } from 'node:http';
import { FAULTS } from './cashfree-simulator.ts';
import type { EmbeddedUpstreams } from './embedded.ts';
import { sendJson } from './http.ts';
import { OPENAPI_PATH, REFERENCE_PAGE_PATH } from './reference-page.ts';
import type { SecretsManagerMode } from './secrets-manager-stand-in.ts';

const SECRETS_MANAGER_MODES: Record<SecretsManagerMode, string> = {
  ok: 'answers normally',
  throttled: 'answers ThrottlingException (the function answers 503 credentials_unavailable)',
  internal_error: 'answers InternalServiceError (the function answers 503 credentials_unavailable)',
  hang: 'never answers (the read is aborted at the deadline: 503 credentials_unavailable)',
};

interface Control {
  method: 'POST';
  path: string;
  does: string;
  run(upstreams: EmbeddedUpstreams): string;
}

const CONTROLS: readonly Control[] = [
  {
    method: 'POST',
    path: '/__local/rotate',
    does: 'new Cashfree credentials in the simulator and the secret at once; the next call sees a 401, re-reads, succeeds',
    run(upstreams) {
      upstreams.rotate();
      return 'Cashfree now accepts only new credentials and the secret holds them; the next call refreshes once';
    },
  },
  {
    method: 'POST',
    path: '/__local/rate-limit/reset',
    does: "starts a fresh window of the simulator's rate limit (400 calls a minute)",
    run(upstreams) {
      upstreams.cashfree.resetRateLimit();
      return "The simulator's rate-limit window starts again with its whole allowance";
    },
  },
  ...Object.entries(SECRETS_MANAGER_MODES).map(
    ([mode, effect]): Control => ({
      method: 'POST',
      path: `/__local/secrets-manager/${mode}`,
      does: `the Secrets Manager stand-in ${effect}; seen at the next secret read (after a rotation or the cache TTL)`,
      run(upstreams) {
        upstreams.secretsManager.setMode(mode as SecretsManagerMode);
        return `The Secrets Manager stand-in now ${effect}`;
      },
    }),
  ),
];

/** What `GET /__local` lists: the simulator's triggers, the controls, and where the API reference lives. */
function localIndex(upstreams: EmbeddedUpstreams | undefined, mode: string) {
  return {
    mode,
    reference: { openapi: OPENAPI_PATH, page: REFERENCE_PAGE_PATH },
    triggers: upstreams
      ? Object.entries(FAULTS).map(([fault, info]) => ({
          customerId: `sim_${fault}`,
          description: info.description,
          documentedByCashfree: info.documented,
        }))
      : [],
    controls: upstreams ? CONTROLS.map(({ method, path, does }) => ({ method, path, does })) : [],
    ...(!upstreams && { note: 'Triggers and controls exist only with the built-in simulator (no CASHFREE_* set)' }),
  };
}

/**
 * The `/__local` paths: `GET /__local` lists what there is, each `POST` control answers with what it did.
 * Controls act on the simulator and the stand-in, so in the sandbox and real modes there are none.
 */
export function localControl(upstreams: EmbeddedUpstreams | undefined, mode: string) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method === 'GET' && (path === '/__local' || path === '/__local/')) {
      return sendJson(res, 200, localIndex(upstreams, mode));
    }
    const control = CONTROLS.find((candidate) => candidate.path === path);
    if (!control) return sendJson(res, 404, { message: 'No such control; GET /__local lists them', code: 'not_found' });
    if (req.method !== control.method) {
      return sendJson(res, 405, { message: `${control.path} takes ${control.method}`, code: 'method_not_allowed' });
    }
    if (!upstreams) {
      return sendJson(res, 409, {
        message: 'Controls act on the built-in simulator, which is not running (CASHFREE_* is set)',
        code: 'not_available',
      });
    }
    return sendJson(res, 200, { message: control.run(upstreams) });
  };
}
