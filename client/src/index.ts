export {
  type CryptogramClient,
  type CryptogramClientOptions,
  createCryptogramClient,
  DEFAULT_MAX_ATTEMPTS,
  DEFAULT_TIMEOUT_MS,
  type GetCryptogramInput,
} from './client.ts';
export { CLIENT_ERROR_CODES, CryptogramServiceError, type CryptogramServiceErrorDetails } from './errors.ts';
export { isValidId, isValidRequestId } from './ids.ts';
export type { AwsCredentials, AwsCredentialsProvider, Cryptogram } from './types.ts';
