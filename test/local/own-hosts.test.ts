import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { ownHosts } from '../../local/own-hosts.ts';

describe('the Host values that name the local gateway', () => {
  it('are the loopback names with the port when it listens on loopback', () => {
    expect([...ownHosts('127.0.0.1', 3000)].sort()).toEqual(['127.0.0.1:3000', '[::1]:3000', 'localhost:3000']);
  });

  it('add this machine and its addresses when it listens everywhere', () => {
    const hosts = ownHosts('0.0.0.0', 3000);

    expect(hosts.has(`${hostname().toLowerCase()}:3000`)).toBe(true);
    expect(hosts.has('127.0.0.1:3000')).toBe(true);
    expect(hosts.has('a1b2c3d4e5.execute-api.ap-south-1.amazonaws.com:3000')).toBe(false);
  });

  it('are only the given name for a server on one other address, IPv6 in brackets', () => {
    expect([...ownHosts('192.0.2.7', 3000)]).toEqual(['192.0.2.7:3000']);
    expect([...ownHosts('2001:db8::1', 3000)]).toEqual(['[2001:db8::1]:3000']);
  });

  it('include the bare name on port 80, which clients leave out of Host', () => {
    expect(ownHosts('127.0.0.1', 80).has('localhost')).toBe(true);
    expect(ownHosts('127.0.0.1', 3000).has('localhost')).toBe(false);
  });
});
