import { describe, expect, it } from 'vitest';
import { nonPublicRange } from '../../../engine/http/address.js';
import { decideAddresses, hostAllowed, resolveChecked } from '../../../engine/http/guard.js';
import type { Resolver } from '../../../engine/http/guard.js';
import { OutboundError } from '../../../engine/http/errors.js';

describe('nonPublicRange', () => {
  it.each([
    ['169.254.169.254', 'link-local (169.254.0.0/16)'],
    ['10.0.0.1', 'private (10.0.0.0/8)'],
    ['172.16.0.1', 'private (172.16.0.0/12)'],
    ['172.31.255.255', 'private (172.16.0.0/12)'],
    ['192.168.1.1', 'private (192.168.0.0/16)'],
    ['100.64.0.1', 'carrier-grade NAT (100.64.0.0/10)'],
    ['0.0.0.0', 'this network (0.0.0.0/8)'],
    ['127.0.0.2', 'loopback (127.0.0.0/8)'],
    ['224.0.0.1', 'multicast (224.0.0.0/4)'],
    ['255.255.255.255', 'broadcast (255.255.255.255)'],
    ['198.18.0.1', 'benchmarking (198.18.0.0/15)'],
    ['::1', 'loopback (::1)'],
    ['[::1]', 'loopback (::1)'],
    ['::', 'unspecified (::)'],
    ['fd00::1', 'unique-local (fc00::/7)'],
    ['fc00::', 'unique-local (fc00::/7)'],
    ['fe80::1', 'link-local (fe80::/10)'],
    ['fe80::1%eth0', 'link-local (fe80::/10)'],
    ['febf::1', 'link-local (fe80::/10)'],
    ['fec0::1', 'site-local (fec0::/10)'],
    ['ff02::1', 'multicast (ff00::/8)'],
    ['::ffff:127.0.0.1', 'IPv4-mapped of 127.0.0.1: loopback (127.0.0.0/8)'],
    ['::ffff:a9fe:a9fe', 'IPv4-mapped of 169.254.169.254: link-local (169.254.0.0/16)'],
    ['::ffff:10.0.0.1', 'IPv4-mapped of 10.0.0.1: private (10.0.0.0/8)'],
    ['::ffff:0.0.0.0', 'IPv4-mapped of 0.0.0.0: this network (0.0.0.0/8)'],
    ['64:ff9b::192.168.1.1', 'NAT64 of 192.168.1.1: private (192.168.0.0/16)'],
    ['2002:0a00:0001::1', '6to4 of 10.0.0.1: private (10.0.0.0/8)'],
    ['::127.0.0.1', 'reserved (::/8)'],
    ['2001:db8::1', 'documentation (2001:db8::/32)'],
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'IETF protocol assignments, Teredo included (2001::/23)'],
    ['localhost', 'not an IP address'],
  ])('%s is %s', (address, range) => {
    expect(nonPublicRange(address)).toBe(range);
  });

  it.each(['93.184.215.14', '8.8.8.8', '172.32.0.1', '100.128.0.1', '11.0.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8', '64:ff9b::808:808', '2a00:1450:4001:82a::200e'])(
    '%s is public',
    (address) => {
      expect(nonPublicRange(address)).toBeNull();
    },
  );
});

describe('decideAddresses', () => {
  const v4 = (address: string) => ({ address, family: 4 as const });
  const v6 = (address: string) => ({ address, family: 6 as const });

  it('refuses a name resolving to the metadata address and says how to allow it', () => {
    expect(decideAddresses('hooks.example.com', [v4('169.254.169.254')], [])).toEqual({
      refused: 'hooks.example.com resolves to 169.254.169.254, which is link-local (169.254.0.0/16): refused, as it is not in spec.outbound.allowHosts in homeostat.yaml',
    });
  });

  it('refuses a name when any of its addresses is not public', () => {
    expect(decideAddresses('mixed.example.com', [v4('93.184.215.14'), v6('fd00::1')], [])).toHaveProperty('refused');
  });

  it('accepts a public address', () => {
    expect(decideAddresses('example.com', [v4('93.184.215.14')], [])).toEqual({ address: v4('93.184.215.14') });
  });

  it('accepts a private address for an allowlisted host, exactly or by suffix', () => {
    expect(decideAddresses('Receiver.Internal.', [v4('10.0.0.1')], ['receiver.internal'])).toEqual({ address: v4('10.0.0.1') });
    expect(decideAddresses('a.corp.example', [v4('10.0.0.1')], ['*.corp.example'])).toEqual({ address: v4('10.0.0.1') });
    expect(decideAddresses('corp.example.evil', [v4('10.0.0.1')], ['*.corp.example'])).toHaveProperty('refused');
    expect(decideAddresses('::1', [v6('::1')], ['[0:0::1]'])).toEqual({ address: v6('::1') });
  });

  it('says so when a literal address itself is refused', () => {
    expect(decideAddresses('[::1]', [v6('::1')], [])).toEqual({
      refused: '::1 is loopback (::1): refused, as it is not in spec.outbound.allowHosts in homeostat.yaml',
    });
  });

  it('a wildcard never allows an IP address', () => {
    expect(hostAllowed('10.0.0.1', ['*.0.0.1'])).toBe(false);
  });
});

describe('resolveChecked', () => {
  const rebinding: Resolver = async (hostname) => (hostname === 'status.example.com' ? [{ address: '10.0.0.1', family: 4 }] : [{ address: '93.184.215.14', family: 4 }]);

  it('refuses a public-looking name that resolves to a private address', async () => {
    const refused = await resolveChecked('status.example.com', [], rebinding).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(OutboundError);
    expect(refused).toMatchObject({ failure: 'refused', message: expect.stringContaining('status.example.com resolves to 10.0.0.1') });
  });

  it('returns the checked address for a public one, and never resolves an IP literal', async () => {
    await expect(resolveChecked('example.com', [], rebinding)).resolves.toEqual({ address: '93.184.215.14', family: 4 });
    const never: Resolver = async () => {
      throw new Error('an IP literal must not be looked up');
    };
    await expect(resolveChecked('127.0.0.2', [], never)).rejects.toMatchObject({ failure: 'refused' });
    await expect(resolveChecked('127.0.0.2', ['127.0.0.2'], never)).resolves.toEqual({ address: '127.0.0.2', family: 4 });
  });

  it('reports a name that does not resolve', async () => {
    const missing: Resolver = async () => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' });
    };
    await expect(resolveChecked('nowhere.example', [], missing)).rejects.toMatchObject({ failure: 'unresolved', message: 'nowhere.example did not resolve (ENOTFOUND)' });
  });
});
