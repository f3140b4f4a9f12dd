/**
 * Whether an address is on the public internet: the pure half of the SSRF check. A URL comes
 * from a policy or a secret, but the name in it may resolve anywhere, so what is judged is the
 * address a connection would go to. Everything that is not globally routable is refused
 * unless the operator allowlisted the host: loopback, link-local (cloud metadata at
 * 169.254.169.254), private, unique-local, carrier-grade NAT, unspecified, multicast,
 * reserved and documentation ranges, and the IPv6 forms that embed an IPv4 address
 * (mapped, NAT64, 6to4) when the embedded address is one of those.
 */
import { isIPv4, isIPv6 } from 'node:net';

/** Why an address is not public, as a user reads it; null for a public address. */
export type AddressRange = string;

interface Block {
  prefix: number[];
  bits: number;
  range: string;
}

const V4_BLOCKS: readonly Block[] = [
  { prefix: [0, 0, 0, 0], bits: 8, range: 'this network (0.0.0.0/8)' },
  { prefix: [10, 0, 0, 0], bits: 8, range: 'private (10.0.0.0/8)' },
  { prefix: [100, 64, 0, 0], bits: 10, range: 'carrier-grade NAT (100.64.0.0/10)' },
  { prefix: [127, 0, 0, 0], bits: 8, range: 'loopback (127.0.0.0/8)' },
  { prefix: [169, 254, 0, 0], bits: 16, range: 'link-local (169.254.0.0/16)' },
  { prefix: [172, 16, 0, 0], bits: 12, range: 'private (172.16.0.0/12)' },
  { prefix: [192, 0, 0, 0], bits: 24, range: 'IETF protocol assignments (192.0.0.0/24)' },
  { prefix: [192, 0, 2, 0], bits: 24, range: 'documentation (192.0.2.0/24)' },
  { prefix: [192, 88, 99, 0], bits: 24, range: '6to4 relay anycast (192.88.99.0/24)' },
  { prefix: [192, 168, 0, 0], bits: 16, range: 'private (192.168.0.0/16)' },
  { prefix: [198, 18, 0, 0], bits: 15, range: 'benchmarking (198.18.0.0/15)' },
  { prefix: [198, 51, 100, 0], bits: 24, range: 'documentation (198.51.100.0/24)' },
  { prefix: [203, 0, 113, 0], bits: 24, range: 'documentation (203.0.113.0/24)' },
  { prefix: [224, 0, 0, 0], bits: 4, range: 'multicast (224.0.0.0/4)' },
  { prefix: [240, 0, 0, 0], bits: 4, range: 'reserved (240.0.0.0/4)' },
];

/** IPv6 ranges judged on their own; the ones embedding IPv4 are handled in rangeOfV6. */
const V6_BLOCKS: readonly Block[] = [
  { prefix: [0x01, 0, 0, 0, 0, 0, 0, 0], bits: 64, range: 'discard-only (100::/64)' },
  { prefix: [0x20, 0x01, 0x0d, 0xb8], bits: 32, range: 'documentation (2001:db8::/32)' },
  { prefix: [0x20, 0x01, 0, 0], bits: 23, range: 'IETF protocol assignments, Teredo included (2001::/23)' },
  { prefix: [0x00, 0x64, 0xff, 0x9b, 0x00, 0x01], bits: 48, range: 'local-use NAT64 (64:ff9b:1::/48)' },
  { prefix: [0xfc], bits: 7, range: 'unique-local (fc00::/7)' },
  { prefix: [0xfe, 0x80], bits: 10, range: 'link-local (fe80::/10)' },
  { prefix: [0xfe, 0xc0], bits: 10, range: 'site-local (fec0::/10)' },
  { prefix: [0xff], bits: 8, range: 'multicast (ff00::/8)' },
];

/**
 * The non-public range an address (IPv4 or IPv6, brackets and zone allowed) falls in, or null
 * when it is public. Something that is not an IP address at all is reported as such: a caller
 * must never treat an unparsed name as checked.
 */
export function nonPublicRange(address: string): AddressRange | null {
  const bare = address.replace(/^\[(.*)\]$/, '$1').replace(/%.*$/, '');
  if (isIPv4(bare)) return rangeOfV4(bare.split('.').map(Number));
  if (isIPv6(bare)) return rangeOfV6(parseV6(bare));
  return 'not an IP address';
}

function rangeOfV4(bytes: number[]): string | null {
  if (bytes.every((b) => b === 255)) return 'broadcast (255.255.255.255)';
  return V4_BLOCKS.find((block) => inBlock(bytes, block))?.range ?? null;
}

function rangeOfV6(bytes: number[]): string | null {
  const zeros = (from: number, to: number): boolean => bytes.slice(from, to).every((b) => b === 0);
  if (zeros(0, 15) && bytes[15] === 0) return 'unspecified (::)';
  if (zeros(0, 15) && bytes[15] === 1) return 'loopback (::1)';
  const embedded = embeddedV4(bytes, zeros);
  if (embedded !== null) {
    const range = rangeOfV4(embedded.v4);
    return range === null ? null : `${embedded.form} of ${embedded.v4.join('.')}: ${range}`;
  }
  // The rest of ::/96 (IPv4-compatible, deprecated) and ::/8 are not routable.
  if (zeros(0, 1)) return 'reserved (::/8)';
  return V6_BLOCKS.find((block) => inBlock(bytes, block))?.range ?? null;
}

/** The IPv4 address inside an IPv6 form that carries one to the IPv4 internet. */
function embeddedV4(bytes: number[], zeros: (from: number, to: number) => boolean): { form: string; v4: number[] } | null {
  if (zeros(0, 10) && bytes[10] === 0xff && bytes[11] === 0xff) return { form: 'IPv4-mapped', v4: bytes.slice(12) };
  // ::ffff:0:a.b.c.d (IPv4-translated, RFC 2765) reaches the same hosts.
  if (zeros(0, 8) && bytes[8] === 0xff && bytes[9] === 0xff && zeros(10, 12)) return { form: 'IPv4-translated', v4: bytes.slice(12) };
  if (bytes[0] === 0x00 && bytes[1] === 0x64 && bytes[2] === 0xff && bytes[3] === 0x9b && zeros(4, 12)) return { form: 'NAT64', v4: bytes.slice(12) };
  if (bytes[0] === 0x20 && bytes[1] === 0x02) return { form: '6to4', v4: bytes.slice(2, 6) };
  return null;
}

function inBlock(bytes: readonly number[], block: Block): boolean {
  for (let bit = 0; bit < block.bits; bit += 8) {
    const take = Math.min(8, block.bits - bit);
    const mask = (0xff << (8 - take)) & 0xff;
    const index = bit / 8;
    if ((bytes[index]! & mask) !== ((block.prefix[index] ?? 0) & mask)) return false;
  }
  return true;
}

/** Sixteen bytes from a valid IPv6 text form (`::` and a trailing dotted quad included). */
function parseV6(text: string): number[] {
  // A trailing dotted quad is two groups written another way.
  const body = text.toLowerCase().replace(/(\d+)\.(\d+)\.(\d+)\.(\d+)$/, (_, a: string, b: string, c: string, d: string) =>
    `${((Number(a) << 8) | Number(b)).toString(16)}:${((Number(c) << 8) | Number(d)).toString(16)}`);
  const groups = (part: string): number[] => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const [head, rest] = body.split('::') as [string, string | undefined];
  const left = groups(head);
  const right = rest === undefined ? [] : groups(rest);
  const words = rest === undefined ? left : [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  return words.flatMap((word) => [word >> 8, word & 0xff]);
}
