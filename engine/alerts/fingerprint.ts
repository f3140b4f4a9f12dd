/**
 * Alertmanager's fingerprint of a label set (prometheus/common model.LabelSet.Fingerprint):
 * FNV-1a 64 over the sorted names and values, each followed by a 0xff separator.
 * Used for inline test alerts, which carry no fingerprint of their own.
 */
const OFFSET = 0xcbf29ce484222325n;
const PRIME = 0x100000001b3n;
const MASK = 0xffffffffffffffffn;

export function fingerprint(labels: Readonly<Record<string, string>>): string {
  let hash = OFFSET;
  const add = (bytes: Uint8Array) => {
    for (const byte of bytes) hash = ((hash ^ BigInt(byte)) * PRIME) & MASK;
  };
  const encoder = new TextEncoder();
  const separator = new Uint8Array([0xff]);
  for (const name of Object.keys(labels).sort()) {
    add(encoder.encode(name));
    add(separator);
    add(encoder.encode(labels[name]!));
    add(separator);
  }
  return hash.toString(16).padStart(16, '0');
}
