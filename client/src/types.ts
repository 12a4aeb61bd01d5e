/**
 * The service's 200 answer. `card_number` (a network token PAN) and `cryptogram` (single-use) are card data:
 * never log, store or cache them. The service refuses a Cashfree answer without the five required fields
 * (502 `upstream_invalid_response`), and the client refuses a 200 without them (`invalid_response`).
 */
export interface Cryptogram {
  /** The instrument id asked for: the client refuses an answer naming another. */
  instrument_id: string;
  /** The network token PAN (not the card's PAN): 12 to 19 digits. */
  card_number: string;
  /** The token's expiry month, `01` to `12`. */
  card_expiry_mm: string;
  /** The token's expiry year: four digits in practice (`2031`), two in Cashfree's older examples. */
  card_expiry_yy: string;
  /** Single-use authentication data for one payment, at most 512 characters. */
  cryptogram: string;
  /**
   * The card network's id of the token requestor, 1 to 32 digits (11 in practice). Absent exactly when
   * Cashfree's answer omitted it: the service never invents it.
   */
  token_requestor_id?: string;
  /**
   * The card's last four digits for display, possibly after mask characters (`XXXX XXXX XXXX 1234`): never more
   * than four digits. Absent exactly when Cashfree's answer omitted it: the service never invents it.
   */
  card_display?: string;
}

/** Each field of the 200 answer and whether the service guarantees it. */
export const CRYPTOGRAM_FIELDS = {
  instrument_id: 'required',
  card_number: 'required',
  card_expiry_mm: 'required',
  card_expiry_yy: 'required',
  cryptogram: 'required',
  token_requestor_id: 'optional',
  card_display: 'optional',
} as const satisfies Record<keyof Cryptogram, 'required' | 'optional'>;

/** AWS credentials, as the AWS SDK's providers return them. */
export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
}

export type AwsCredentialsProvider = () => Promise<AwsCredentials>;
