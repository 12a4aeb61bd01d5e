export { MAX_ANSWER_BYTES } from './answer.ts';
export {
  type CryptogramClient,
  type CryptogramClientOptions,
  createCryptogramClient,
  DEFAULT_MAX_ATTEMPTS,
  DEFAULT_TIMEOUT_MS,
  type GetCryptogramInput,
  MAX_TIMEOUT_MS,
} from './client.ts';
export {
  type ClientErrorCode,
  type CryptogramErrorCode,
  type CryptogramErrorStatus,
  ERROR_CODES,
  type ServiceErrorCode,
} from './codes.ts';
export { CLIENT_ERROR_CODES, CryptogramServiceError, type CryptogramServiceErrorDetails } from './errors.ts';
export { isValidId, isValidRequestId } from './ids.ts';
export { MAX_RETRY_AFTER_SECONDS } from './retry-after.ts';
export type { AwsCredentials, AwsCredentialsProvider, Cryptogram } from './types.ts';
