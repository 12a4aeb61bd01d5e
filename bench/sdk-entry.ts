// Bundled alone with the function's options, to time how long the AWS SDK client takes to load.
export { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
