import { type FromEnvInit, fromEnv } from '@aws-sdk/credential-provider-env';

/**
 * The SDK's default credential provider as the deployed function has it: the role's credentials from the
 * environment, where the Lambda runtime puts them. The function's bundling aliases
 * `@aws-sdk/credential-provider-node` to this module (infra/function-bundling.ts), so the SSO, STS, INI,
 * process, web-identity and instance-metadata providers of the default chain, which Lambda never needs, are
 * neither shipped nor evaluated at init.
 */
export const defaultProvider = (init?: FromEnvInit): ReturnType<typeof fromEnv> => fromEnv(init);
