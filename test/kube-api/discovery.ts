/**
 * Discovery as the real API answers it to a client that also accepts the legacy form:
 * /api (APIVersions), /apis (APIGroupList), and an APIResourceList per group version.
 * kubectl 1.32 asks for the aggregated form first and falls back to these.
 */
import { groupVersions, RESOURCES, SUBRESOURCES } from './resources.js';

export function discovery(path: string, host: string): unknown | undefined {
  if (path === '/api') return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: host }] };
  if (path === '/apis') {
    const groups = groupVersions().filter((g) => g.group !== '');
    return {
      kind: 'APIGroupList', apiVersion: 'v1',
      groups: [...new Set(groups.map((g) => g.group))].map((name) => {
        const versions = groups.filter((g) => g.group === name).map((g) => ({ groupVersion: `${name}/${g.version}`, version: g.version }));
        return { name, versions, preferredVersion: versions[0] };
      }),
    };
  }
  if (path === '/version') return { major: '1', minor: '32', gitVersion: 'v1.32.0-homeostat-test', platform: 'linux/amd64' };
  const m = /^\/(?:api\/(v1)|apis\/([a-z0-9.-]+)\/(v1))$/.exec(path);
  if (!m) return undefined;
  const group = m[2] ?? '';
  const version = m[1] ?? m[3]!;
  if (!groupVersions().some((g) => g.group === group && g.version === version)) return undefined;
  const resources = [
    ...RESOURCES.filter((r) => r.group === group && r.version === version).map((r) => ({
      name: r.resource, singularName: r.singular, namespaced: r.namespaced, kind: r.kind, verbs: r.verbs, ...(r.shortNames ? { shortNames: r.shortNames } : {}),
    })),
    ...SUBRESOURCES.filter((s) => s.group === group && s.version === version).map((s) => ({
      name: s.name, singularName: '', namespaced: s.namespaced, kind: s.kind, verbs: [...s.verbs],
      ...(s.kindGroup ? { group: s.kindGroup, version: s.kindVersion } : {}),
    })),
  ];
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: group ? `${group}/${version}` : version, resources };
}
