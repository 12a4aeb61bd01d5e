/**
 * The one operation's address, shared by the stack (`infra/`), the local gateway (`local/`) and the OpenAPI
 * document's tests, so that none of them can drift from the others.
 */
export const RESOURCE_PATH = '/customers/{customer_id}/instruments/{instrument_id}/cryptogram';
export const PATH_PARAMETERS = ['customer_id', 'instrument_id'] as const;
export const HTTP_METHOD = 'GET';
/** The deployed stage: callers' URLs and IAM resources carry it. */
export const STAGE_NAME = 'v1';
