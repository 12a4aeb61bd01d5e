import * as v from 'valibot';

/**
 * What each ARN setting must point at. A pattern names the service and the resource type, so that an S3 ARN
 * where a web ACL belongs, or a KMS alias where a key belongs, fails the synth instead of the deployment.
 */
export interface ArnKind {
  what: string;
  pattern: RegExp;
}

const PARTITION = 'arn:aws(?:-cn|-us-gov)?';
const REGION = '([a-z]{2}(?:-gov)?-[a-z]+-\\d)';
const ACCOUNT = '(\\d{12})';

export const ARN_KINDS = {
  // API Gateway stages take regional web ACLs only; a CloudFront (global) one cannot be associated.
  wafWebAcl: {
    what: 'a regional WAFv2 web ACL ARN (arn:aws:wafv2:<region>:<account>:regional/webacl/<name>/<id>)',
    pattern: new RegExp(`^${PARTITION}:wafv2:${REGION}:${ACCOUNT}:regional/webacl/[\\w-]{1,128}/[0-9a-f-]{1,128}$`),
  },
  snsTopic: {
    what: 'an SNS topic ARN (arn:aws:sns:<region>:<account>:<topic>)',
    pattern: new RegExp(`^${PARTITION}:sns:${REGION}:${ACCOUNT}:[\\w-]{1,256}(?:\\.fifo)?$`),
  },
  // A key, not an alias: grants and key policies name the key itself.
  kmsKey: {
    what: 'a KMS key ARN (arn:aws:kms:<region>:<account>:key/<key id>), not an alias',
    pattern: new RegExp(
      `^${PARTITION}:kms:${REGION}:${ACCOUNT}:key/(?:[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$`,
    ),
  },
  // The complete ARN: without the 6-character suffix an IAM grant on it matches no secret.
  secret: {
    what: 'a complete Secrets Manager secret ARN with its 6-character suffix (arn:aws:secretsmanager:<region>:<account>:secret:<name>-AbCdEf)',
    pattern: new RegExp(`^${PARTITION}:secretsmanager:${REGION}:${ACCOUNT}:secret:[\\w/+=.@-]{1,512}-[A-Za-z0-9]{6}$`),
  },
} as const satisfies Record<string, ArnKind>;

/** Region and account of an ARN that matched its kind. */
export function arnParts(kind: ArnKind, arn: string): { region: string; account: string } | undefined {
  const match = kind.pattern.exec(arn);
  return match ? { region: match[1] ?? '', account: match[2] ?? '' } : undefined;
}

const ACCOUNT_ID = /^\d{12}$/;
const IAM_PRINCIPAL = new RegExp(
  `^${PARTITION}:iam::\\d{12}:(?:root|role/[\\w+=,.@/-]{1,512}|user/[\\w+=,.@/-]{1,512})$`,
);

/** Why an `allowedPrincipals` entry is refused, or undefined when it is an account id or a role or user ARN. */
export function principalProblem(entry: string): string | undefined {
  // A wildcard here would widen the resource policy's Allow and punch a hole in its Deny.
  if (/[*?]/.test(entry)) return 'must not contain a wildcard (* or ?): name each account, role or user';
  if (ACCOUNT_ID.test(entry) || IAM_PRINCIPAL.test(entry)) return undefined;
  return 'is neither a 12-digit account id nor an IAM role, user or root ARN';
}

/** A setting that holds an ARN of `kind`, in `region` when the environment pins one. */
export const arnSetting = (kind: ArnKind, region: string | undefined) =>
  v.pipe(
    v.custom<string>((value) => typeof value === 'string' && kind.pattern.test(value), ` must be ${kind.what}`),
    v.check(
      (arn) => region === undefined || arnParts(kind, arn)?.region === region,
      (issue) => ` is in ${arnParts(kind, String(issue.input))?.region}, but the environment deploys to ${region}`,
    ),
  );
