/**
 * Alertmanager's fingerprint of a label set (prometheus/common model.LabelSet.Fingerprint):
 * FNV-1a 64 over the names in order and their values, each followed by a 0xff separator. The
 * engine computes every alert's fingerprint itself: one a caller sends is only compared with it.
 *
 * The 64-bit state is kept as four 16-bit limbs in small integers and the labels are hashed
 * as their UTF-8 bytes are read, with no buffer: BigInt arithmetic per byte cost about 15 µs
 * an alert. The prime is 2^40 + 0x1b3, so h * prime = h * 0x1b3 + (h << 40).
 */
const PRIME_LOW = 0x1b3;
const SEPARATOR = 0xff;
const SURROGATE = /[\ud800-\udfff]/;

/** FNV-1a 64 state: four 16-bit limbs, lowest first, so that every product stays a small integer. */
class Fnv64 {
  private h0 = 0x2325;
  private h1 = 0x8422;
  private h2 = 0x9ce4;
  private h3 = 0xcbf2;

  /** The prime's limbs are 0x1b3, 0, 0x100, 0: each limb's product with the carry from below, plus the limb two below shifted by 8. */
  byte(b: number): void {
    const h0 = this.h0 ^ b;
    const t0 = h0 * PRIME_LOW;
    const t1 = this.h1 * PRIME_LOW + (t0 >>> 16);
    const t2 = this.h2 * PRIME_LOW + (h0 << 8) + (t1 >>> 16);
    this.h3 = (this.h3 * PRIME_LOW + (this.h1 << 8) + (t2 >>> 16)) & 0xffff;
    this.h0 = t0 & 0xffff;
    this.h1 = t1 & 0xffff;
    this.h2 = t2 & 0xffff;
  }

  /** The string's UTF-8 bytes, encoded as they are read (no buffer), then the separator. */
  text(s: string): void {
    for (let i = 0; i < s.length; i++) {
      let c = s.charCodeAt(i);
      if (c < 0x80) {
        this.byte(c);
        continue;
      }
      if (c < 0x800) {
        this.byte(0xc0 | (c >> 6));
      } else {
        const next = s.charCodeAt(i + 1);
        if (c >= 0xd800 && c < 0xdc00 && next >= 0xdc00 && next < 0xe000) {
          c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
          i++;
          this.byte(0xf0 | (c >> 18));
          this.byte(0x80 | ((c >> 12) & 0x3f));
        } else {
          if (c >= 0xd800 && c < 0xe000) c = 0xfffd; // a lone surrogate, as Go and Buffer encode it
          this.byte(0xe0 | (c >> 12));
        }
        this.byte(0x80 | ((c >> 6) & 0x3f));
      }
      this.byte(0x80 | (c & 0x3f));
    }
    this.byte(SEPARATOR);
  }

  hex(): string {
    return hex16(this.h3) + hex16(this.h2) + hex16(this.h1) + hex16(this.h0);
  }
}

export function fingerprint(labels: Readonly<Record<string, string>>): string {
  const hash = new Fnv64();
  for (const name of sortedNames(labels)) {
    hash.text(name);
    hash.text(labels[name]!);
  }
  return hash.hex();
}

function hex16(limb: number): string {
  return limb.toString(16).padStart(4, '0');
}

/**
 * Go orders strings by their UTF-8 bytes, which is code point order; JavaScript's sort
 * compares UTF-16 units, which differs only when a name holds a character beyond U+FFFF.
 */
function sortedNames(labels: Readonly<Record<string, string>>): string[] {
  const names = Object.keys(labels);
  if (!names.some((name) => SURROGATE.test(name))) return names.sort();
  return names.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}
