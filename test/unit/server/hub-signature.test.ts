import { describe, expect, it } from 'vitest';
import { hubSignatureMatches } from '../../../engine/server/auth.js';

// GitHub's own test values (docs: "Validating webhook deliveries").
const SECRET = "It's a Secret to Everybody";
const BODY = Buffer.from('Hello, World!');
const SIGNATURE = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';

describe('hubSignatureMatches', () => {
  it("accepts GitHub's documented signature of its documented payload", () => {
    expect(hubSignatureMatches(SIGNATURE, BODY, SECRET)).toBe(true);
  });

  it('refuses another secret, another body, another form, a truncated or missing header', () => {
    expect(hubSignatureMatches(SIGNATURE, BODY, `${SECRET}!`)).toBe(false);
    expect(hubSignatureMatches(SIGNATURE, Buffer.from('Hello, World?'), SECRET)).toBe(false);
    expect(hubSignatureMatches(SIGNATURE.replace('sha256=', 'sha1='), BODY, SECRET)).toBe(false);
    expect(hubSignatureMatches(SIGNATURE.toUpperCase(), BODY, SECRET)).toBe(false);
    expect(hubSignatureMatches(SIGNATURE.slice(0, -1), BODY, SECRET)).toBe(false);
    expect(hubSignatureMatches(undefined, BODY, SECRET)).toBe(false);
  });
});
