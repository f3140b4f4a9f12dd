/**
 * Regex results are cached per (pattern, value), bounded: the cached answer is RE2's own, the
 * cache never holds more than its bound however many distinct values come, and long values are
 * matched each time without being kept.
 */
import { describe, expect, it } from 'vitest';
import { MAX_CACHED_RESULTS, MAX_CACHED_VALUE_LENGTH, cachedResultCount, fullMatch, fullMatchUncached, fullMatcher } from '../../../engine/regex/re2.js';

const PATTERNS = ['node-[0-9]+:9100', '.*(control-plane|master).*', 'fleet|node-exporter', '(a+)+b', '', '[0-9]*'];
const VALUES = ['node-1:9100', 'node-x:9100', 'worker-master-2', 'fleet', 'node-exporter', 'aaab', 'aaa!', '', '123', 'ünïcode'];

describe('cached regex results', () => {
  it('are what RE2 says, the first time and every time after', () => {
    for (let round = 0; round < 3; round++) {
      for (const p of PATTERNS) {
        const matcher = fullMatcher(p);
        for (const v of VALUES) {
          const expected = fullMatchUncached(p, v);
          expect(fullMatch(p, v)).toBe(expected);
          expect(matcher(v)).toBe(expected);
        }
      }
    }
    expect(fullMatch('node-[0-9]+', 'node-1')).toBe(true);
    expect(fullMatch('node-[0-9]+', 'xnode-1')).toBe(false); // anchored
  });

  it('stay within their bound, however many distinct values come', () => {
    const matcher = fullMatcher('host-[0-9]+');
    let most = 0;
    let wrong = 0;
    for (let i = 0; i < MAX_CACHED_RESULTS + 5_000; i++) {
      if (!matcher(`host-${i}`)) wrong++;
      most = Math.max(most, cachedResultCount());
    }
    expect(wrong).toBe(0);
    expect(most).toBe(MAX_CACHED_RESULTS);
    expect(cachedResultCount()).toBeLessThan(MAX_CACHED_RESULTS);
    expect(matcher('host-x')).toBe(false);
  });

  it('leave long values out, and still answer them', () => {
    const before = cachedResultCount();
    const long = `${'a'.repeat(MAX_CACHED_VALUE_LENGTH)}b`;
    expect(fullMatch('(a+)+b', long)).toBe(true);
    expect(fullMatch('(a+)+b', `${'a'.repeat(10_000)}!`)).toBe(false);
    expect(cachedResultCount()).toBe(before);
  });

  it('match nothing for a pattern that does not compile', () => {
    expect(fullMatch('(a', 'a')).toBe(false);
    expect(fullMatcher('(a')('(a')).toBe(false);
  });
});
