/**
 * The SSRF guard: a host's resolved addresses judged against the allowlist. `decideAddresses` is
 * pure; `resolveChecked` adds the lookup. The client calls it from its connector, so the address
 * judged is the address connected to: there is no second lookup a DNS answer could change.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { nonPublicRange } from './address.js';
import { OUTBOUND_FAILURES, OutboundError } from './errors.js';

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Every address a name resolves to (an IP literal resolves to itself). */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

export const systemResolver: Resolver = async (hostname) => {
  const answers = await lookup(hostname, { all: true, verbatim: true });
  return answers.map(({ address, family }) => ({ address, family: family === 6 ? 6 : 4 }));
};

export const ALLOWLIST_SETTING = 'spec.outbound.allowHosts in homeostat.yaml';

export type AddressDecision = { address: ResolvedAddress } | { refused: string };

/**
 * Which address to connect to, or why none. A host in the allowlist may resolve anywhere;
 * any other host is refused when any of its addresses is not public, so that a name answering
 * a public and a private address cannot be used to reach the private one.
 */
export function decideAddresses(hostname: string, addresses: readonly ResolvedAddress[], allowHosts: readonly string[]): AddressDecision {
  const host = normalizeHost(hostname);
  if (addresses.length === 0) return { refused: `${host} resolved to no address` };
  if (hostAllowed(host, allowHosts)) return { address: addresses[0]! };
  for (const { address } of addresses) {
    const range = nonPublicRange(address);
    if (range === null) continue;
    const via = address === host ? '' : ` resolves to ${address}, which`;
    return { refused: `${host}${via} is ${range}: refused, as it is not in ${ALLOWLIST_SETTING}` };
  }
  return { address: addresses[0]! };
}

/** Whether the allowlist names this host: exactly, or as `*.suffix` for any name under it. */
export function hostAllowed(hostname: string, allowHosts: readonly string[]): boolean {
  const host = normalizeHost(hostname);
  return allowHosts.some((entry) => {
    const allowed = normalizeHost(entry);
    if (allowed.startsWith('*.')) return host.endsWith(allowed.slice(1)) && isIP(host) === 0;
    return allowed === host;
  });
}

/** Lower case, no brackets, no trailing dot, IPv6 in its canonical form: the way both sides compare. */
export function normalizeHost(hostname: string): string {
  const bare = hostname.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '');
  if (isIP(bare) !== 6) return bare;
  return new URL(`http://[${bare}]/`).hostname.slice(1, -1);
}

export async function resolveChecked(hostname: string, allowHosts: readonly string[], resolve: Resolver): Promise<ResolvedAddress> {
  const host = normalizeHost(hostname);
  const family = isIP(host);
  const addresses = family !== 0 ? [{ address: host, family: family as 4 | 6 }] : await resolveName(host, resolve);
  const decision = decideAddresses(host, addresses, allowHosts);
  if ('refused' in decision) throw new OutboundError(OUTBOUND_FAILURES.refused, decision.refused);
  return decision.address;
}

async function resolveName(host: string, resolve: Resolver): Promise<ResolvedAddress[]> {
  try {
    return await resolve(host);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    // A resolver's temporary failure is worth a retry, like a refused connection.
    const failure = code === 'EAI_AGAIN' ? OUTBOUND_FAILURES.connection : OUTBOUND_FAILURES.unresolved;
    throw new OutboundError(failure, `${host} did not resolve (${code})`, null, code);
  }
}
