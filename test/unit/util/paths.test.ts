import { describe, expect, it } from 'vitest';
import { isInside } from '../../../engine/util/paths.js';

describe('isInside', () => {
  it('is true only strictly inside the folder, never in a sibling that shares its name as a prefix', () => {
    expect(isInside('/srv/repo', '/srv/repo/playbooks/a.yml')).toBe(true);
    expect(isInside('/srv/repo', '/srv/repo')).toBe(false);
    expect(isInside('/srv/repo', '/srv/repo2/playbooks/a.yml')).toBe(false);
    expect(isInside('/srv/repo', '/srv/other/a.yml')).toBe(false);
    expect(isInside('/srv/repo', '/srv/repo/../repo2/a.yml')).toBe(false);
    expect(isInside('/srv/repo', '/srv/repo/..a/b')).toBe(true); // a folder named '..a' is inside
  });
});
