/**
 * JSON merge patch (RFC 7386) and the part of strategic merge patch the operations use:
 * maps merge, null removes a key, lists are replaced. A strategic patch that uses a directive
 * ($patch, $retainKeys, $setElementOrder…) or merges a list by key is refused with 400 rather
 * than applied differently from the real API.
 */
export class PatchError extends Error {}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export function mergePatch(target: Json, patch: Json, strategic: boolean): Json {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const base: { [key: string]: Json } = target !== null && typeof target === 'object' && !Array.isArray(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (strategic && key.startsWith('$')) throw new PatchError(`the strategic merge patch directive ${key} is not supported by the Kubernetes API test server`);
    if (strategic && Array.isArray(value) && value.some((v) => v !== null && typeof v === 'object')) {
      throw new PatchError(`the strategic merge patch of the list ${key} (merge by key) is not supported by the Kubernetes API test server`);
    }
    if (value === null) delete base[key];
    else base[key] = mergePatch(base[key] ?? null, value, strategic);
  }
  return base;
}
