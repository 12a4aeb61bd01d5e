import { SAMPLE_CRYPTOGRAM } from '../support/cashfree-answers.ts';
import { startTestServer, type TestHandler } from '../support/test-server.ts';

// What the client tests share: one caller's signing identity and a service played by a local server.
export const REGION = 'ap-south-1';
export const credentials = { accessKeyId: 'AKIACLIENTTEST', secretAccessKey: 'client-test-secret-key' };
export const PAN = SAMPLE_CRYPTOGRAM.card_number;

/** The five fields every 200 of the service carries, for `instrumentId`: Cashfree's sample, passed on. */
export const requiredFields = (instrumentId: string) => {
  const { card_number, card_expiry_mm, card_expiry_yy, cryptogram } = SAMPLE_CRYPTOGRAM;
  return { instrument_id: instrumentId, card_number, card_expiry_mm, card_expiry_yy, cryptogram };
};

/**
 * A service double: `answer(...steps)` makes the next requests take the steps in turn (the last one repeats) and
 * returns what those requests were, for the test to assert on.
 */
export async function startServiceDouble() {
  const server = await startTestServer(() => {});
  const answer = (...steps: TestHandler[]) => {
    const firstIndex = server.requests.length;
    server.handle((request, res, received) =>
      (steps[Math.min(received.index - firstIndex, steps.length - 1)] as TestHandler)(request, res, received),
    );
    return () => server.requests.slice(firstIndex);
  };
  return { server, answer };
}
