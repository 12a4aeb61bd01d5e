import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ServerCertificate {
  /** PEM private key of the server certificate. */
  key: string;
  /** PEM server certificate, signed by the CA. */
  cert: string;
}

export interface ThrowawayCa {
  /** PEM certificate of the CA, to trust through `ca` options or `NODE_EXTRA_CA_CERTS`. */
  certPem: string;
  /** A file holding `certPem`, for `NODE_EXTRA_CA_CERTS` in child processes. */
  certPath: string;
  /** A server certificate for these DNS names and IP addresses (127.0.0.1 and localhost by default). */
  issue(names?: readonly string[]): ServerCertificate;
  /** Deletes the CA's files, private key included. */
  dispose(): void;
}

const IP = /^[\d.]+$|:/;

/**
 * A certificate authority made at run time with the machine's `openssl`, for tests and the benchmark that must
 * speak real TLS on loopback. Nothing is written outside a fresh temporary folder, and nothing is ever trusted
 * system-wide: callers pass `certPem` or `certPath` to exactly the clients that should trust it.
 */
export function createThrowawayCa(commonName = 'cryptogram-service throw-away test CA'): ThrowawayCa {
  const dir = mkdtempSync(join(tmpdir(), 'throwaway-ca-'));
  const caKey = join(dir, 'ca.key');
  const caCert = join(dir, 'ca.pem');
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  // A fresh P-256 key for every certificate, written unencrypted: it lives only as long as the folder.
  const newKey = (keyPath: string) => [
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    keyPath,
  ];

  openssl(
    'req',
    '-x509',
    ...newKey(caKey),
    '-out',
    caCert,
    '-days',
    '2',
    '-subj',
    `/CN=${commonName}`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  );

  let issued = 0;
  return {
    certPem: readFileSync(caCert, 'utf8'),
    certPath: caCert,
    issue(names = ['127.0.0.1', 'localhost']) {
      issued++;
      const key = join(dir, `server-${issued}.key`);
      const csr = join(dir, `server-${issued}.csr`);
      const cert = join(dir, `server-${issued}.pem`);
      const ext = join(dir, `server-${issued}.ext`);
      const altNames = names.map((name) => (IP.test(name) ? `IP:${name}` : `DNS:${name}`)).join(',');
      writeFileSync(
        ext,
        `basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=${altNames}\n`,
      );
      openssl('req', ...newKey(key), '-out', csr, '-subj', `/CN=${names[0] ?? 'localhost'}`);
      openssl(
        'x509',
        '-req',
        '-in',
        csr,
        '-CA',
        caCert,
        '-CAkey',
        caKey,
        '-CAcreateserial',
        '-out',
        cert,
        '-days',
        '2',
        '-extfile',
        ext,
      );
      return { key: readFileSync(key, 'utf8'), cert: readFileSync(cert, 'utf8') };
    },
    dispose() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
