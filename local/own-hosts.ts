import { isIP } from 'node:net';
import { hostname, networkInterfaces } from 'node:os';

const WILDCARDS = new Set(['0.0.0.0', '::', '']);
const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];

const isLoopback = (host: string) => host === 'localhost' || host === '::1' || host.startsWith('127.');
// In a Host header an IPv6 address is bracketed.
const asHostName = (host: string) => (isIP(host) === 6 ? `[${host}]` : host).toLowerCase();

/**
 * The `Host` values by which a client reaches a server listening on `listenHost` and `port`: the name it was
 * given, the loopback names when it listens on loopback or everywhere, and this machine's name and addresses
 * when it listens everywhere. Like an API's own domain name, anything else names some other server.
 */
export function ownHosts(listenHost: string, port: number): ReadonlySet<string> {
  const names = new Set([asHostName(listenHost)]);
  if (isLoopback(listenHost) || WILDCARDS.has(listenHost)) for (const name of LOOPBACK_NAMES) names.add(name);
  if (WILDCARDS.has(listenHost)) {
    names.add(hostname().toLowerCase());
    for (const address of Object.values(networkInterfaces()).flat()) {
      if (address) names.add(asHostName(address.address));
    }
  }
  // A client leaves the port out of Host only when it is the scheme's default.
  const hosts = [...names].map((name) => `${name}:${port}`);
  return new Set(port === 80 ? [...hosts, ...names] : hosts);
}
