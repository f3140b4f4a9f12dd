import { describe, expect, it } from 'vitest';
import { presentedToken, tokenMatches } from '../../../engine/server/auth.js';

const TOKEN = 'test-webhook-token-0123456789';

function basic(userAndPassword: string): string {
  return `Basic ${Buffer.from(userAndPassword, 'utf8').toString('base64')}`;
}

describe('presentedToken', () => {
  it('reads a bearer token, the scheme in any case', () => {
    expect(presentedToken(`Bearer ${TOKEN}`)).toBe(TOKEN);
    expect(presentedToken(`bearer ${TOKEN}`)).toBe(TOKEN);
    expect(presentedToken(`BEARER ${TOKEN}`)).toBe(TOKEN);
  });

  it('trims space around a bearer token', () => {
    expect(presentedToken(`Bearer   ${TOKEN}  `)).toBe(TOKEN);
  });

  it('takes the basic-auth password as the token, whatever the user name', () => {
    expect(presentedToken(basic(`alertmanager:${TOKEN}`))).toBe(TOKEN);
    expect(presentedToken(basic(`:${TOKEN}`))).toBe(TOKEN);
    expect(presentedToken(basic(`anyone at all:${TOKEN}`))).toBe(TOKEN);
    expect(presentedToken(basic(`user:pa:ss:word`))).toBe('pa:ss:word');
    expect(presentedToken(basic('user:'))).toBe('');
    expect(presentedToken(`basic ${Buffer.from(`u:${TOKEN}`).toString('base64')}`)).toBe(TOKEN);
  });

  it('reads a basic-auth password that is not ASCII', () => {
    expect(presentedToken(basic('u:pässwörd-✓'))).toBe('pässwörd-✓');
  });

  it.each([
    ['no header', undefined],
    ['an empty header', ''],
    ['a scheme alone', 'Bearer'],
    ['a token alone', TOKEN],
    ['another scheme', `Token ${TOKEN}`],
    ['a digest header', 'Digest username="u", realm="r"'],
    ['basic without a colon', basic('just-a-token-no-colon')],
    ['basic that is not base64 of user:password', 'Basic !!!not-base64!!!'],
    ['a leading space', ` Bearer ${TOKEN}`],
  ])('presents nothing for %s', (_, header) => {
    expect(presentedToken(header)).toBeNull();
  });

  it('presents an empty bearer token as empty, which matches no token', () => {
    expect(presentedToken('Bearer ')).toBe('');
    expect(tokenMatches(presentedToken('Bearer '), TOKEN)).toBe(false);
  });
});

describe('tokenMatches', () => {
  it('is true for the expected token', () => {
    expect(tokenMatches(TOKEN, TOKEN)).toBe(true);
    expect(tokenMatches(presentedToken(`Bearer ${TOKEN}`), TOKEN)).toBe(true);
    expect(tokenMatches(presentedToken(basic(`alertmanager:${TOKEN}`)), TOKEN)).toBe(true);
  });

  it('is false for another token, of the same length, a prefix, or longer', () => {
    expect(tokenMatches('x'.repeat(TOKEN.length), TOKEN)).toBe(false);
    expect(tokenMatches(TOKEN.slice(0, -1), TOKEN)).toBe(false);
    expect(tokenMatches(`${TOKEN}x`, TOKEN)).toBe(false);
    expect(tokenMatches(TOKEN.toUpperCase(), TOKEN)).toBe(false);
    expect(tokenMatches('', TOKEN)).toBe(false);
  });

  it('is false when nothing was presented, even against an empty expected token', () => {
    expect(tokenMatches(null, TOKEN)).toBe(false);
    expect(tokenMatches(null, '')).toBe(false);
  });

  it('is false for the user name instead of the password', () => {
    expect(tokenMatches(presentedToken(basic(`${TOKEN}:wrong`)), TOKEN)).toBe(false);
  });
});
