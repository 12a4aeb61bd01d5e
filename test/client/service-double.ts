import { startTestServer, type TestHandler } from '../support/test-server.ts';

// What the client tests share: one caller's signing identity and a service played by a local server.
export const REGION = 'ap-south-1';
export const credentials = { accessKeyId: 'AKIACLIENTTEST', secretAccessKey: 'client-test-secret-key' };
export const PAN = '4491365621601472';
export const CRYPTOGRAM = 'PITrEPSdLnQg4BZz1axCUE1z3Y4=';

/** The five fields every 200 of the service carries, for `instrumentId`. */
export const requiredFields = (instrumentId: string) => ({
  instrument_id: instrumentId,
  card_number: PAN,
  card_expiry_mm: '06',
  card_expiry_yy: '2031',
  cryptogram: CRYPTOGRAM,
});

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
