/**
 * The service's 200 answer. `card_number` (a network token PAN) and `cryptogram` (single-use) are card data:
 * never log, store or cache them.
 */
export interface Cryptogram {
  instrument_id?: string;
  token_requestor_id?: string;
  card_number: string;
  card_expiry_mm?: string;
  /** Four digits in practice (`2031`). */
  card_expiry_yy?: string;
  cryptogram: string;
  card_display?: string;
}

export const CRYPTOGRAM_FIELDS = [
  'instrument_id',
  'token_requestor_id',
  'card_number',
  'card_expiry_mm',
  'card_expiry_yy',
  'cryptogram',
  'card_display',
] as const satisfies readonly (keyof Cryptogram)[];

/** AWS credentials, as the AWS SDK's providers return them. */
export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
}

export type AwsCredentialsProvider = () => Promise<AwsCredentials>;
