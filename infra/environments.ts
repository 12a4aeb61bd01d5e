import type { EnvironmentSettings } from './settings.ts';

/**
 * Every environment this service deploys to, selected with `npx cdk deploy -c env=<name>` (default `dev`).
 * Settings live here, reviewed and committed, never in `-c` flags: a deploy typed from memory cannot point
 * production at the sandbox or at an empty secret. The account ids below are examples: put yours in
 * (docs/deploy.md, "Choosing or adding an environment").
 */
export const ENVIRONMENTS = {
  // Anyone's own account: unpinned, so `npx cdk synth` works offline and `cdk deploy` goes where the
  // credentials point. Sandbox Cashfree only; releases go all at once.
  dev: {
    allowedPrincipals: [],
    cashfree: { environment: 'sandbox', apiVersion: '2022-09-01' },
    kmsKey: 'aws-managed',
    endpoint: 'regional',
    throttle: { rateLimit: 5, burstLimit: 10 },
    reservedConcurrency: 10,
    release: { strategy: 'all-at-once' },
    createApiGatewayAccountRole: true,
    // Off: a dev stack is often deployed without a filled secret, and the heartbeat would alarm all day.
    heartbeat: { enabled: false },
  },
  staging: {
    account: '111111111111',
    region: 'ap-south-1',
    allowedPrincipals: ['arn:aws:iam::111111111111:role/checkout-service-staging'],
    cashfree: { environment: 'sandbox', apiVersion: '2022-09-01' },
    kmsKey: 'aws-managed',
    endpoint: 'regional',
    throttle: { rateLimit: 5, burstLimit: 10 },
    reservedConcurrency: 10,
    release: { strategy: 'canary', percent: 10, intervalMinutes: 5 },
    alarmActionArn: 'arn:aws:sns:ap-south-1:111111111111:payments-oncall-staging',
    createApiGatewayAccountRole: true,
    heartbeat: { enabled: true },
  },
  prod: {
    account: '222222222222',
    region: 'ap-south-1',
    allowedPrincipals: ['arn:aws:iam::222222222222:role/checkout-service'],
    cashfree: { environment: 'production', apiVersion: '2022-09-01' },
    kmsKey: 'create',
    endpoint: 'regional',
    // Cashfree publishes about 400 calls a minute for GET calls like this one; 5 per second stays under it.
    throttle: { rateLimit: 5, burstLimit: 10 },
    reservedConcurrency: 10,
    // Two warm instances cover a steady checkout flow without a cold start; see docs/cost.md for the price.
    provisionedConcurrency: { min: 2, max: 8, utilizationTarget: 0.7 },
    release: { strategy: 'canary', percent: 10, intervalMinutes: 5 },
    alarmActionArn: 'arn:aws:sns:ap-south-1:222222222222:payments-oncall',
    createApiGatewayAccountRole: true,
    heartbeat: { enabled: true },
    // When Cashfree asks for an IP allow-list: egress: { availabilityZones: ['ap-south-1a', 'ap-south-1b'] }
    // (README, "A fixed outgoing address for Cashfree"; about $43 a month per zone).
  },
} satisfies Record<string, EnvironmentSettings>;

export type EnvironmentName = keyof typeof ENVIRONMENTS;
export const DEFAULT_ENVIRONMENT: EnvironmentName = 'dev';
