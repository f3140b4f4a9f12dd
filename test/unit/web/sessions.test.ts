import { describe, expect, it } from 'vitest';
import { LoginLimit } from '../../../engine/web/login-limit.js';
import { csrfMatches, SESSION_TTL_MS, Sessions } from '../../../engine/web/sessions.js';

const ADMIN = 'admin-token-0123456789abcdef';

describe('Sessions', () => {
  it('finds an open session until it expires, and not after', () => {
    let now = 1_000_000;
    const sessions = new Sessions(() => now);
    const s = sessions.create('admin', 'admin', ADMIN);
    const current = () => ADMIN;
    expect(sessions.find(s.id, current)?.role).toBe('admin');
    now += SESSION_TTL_MS - 1;
    expect(sessions.find(s.id, current)).not.toBeNull();
    now += 1;
    expect(sessions.find(s.id, current)).toBeNull();
    expect(sessions.size).toBe(0);
  });

  it('ends a session whose token is no longer in force, or no longer configured', () => {
    const sessions = new Sessions();
    const a = sessions.create('admin', 'admin', ADMIN);
    const v = sessions.create('viewer', 'viewer', 'viewer-token-0123456789');
    expect(sessions.find(a.id, () => 'admin-token-rotated-000000')).toBeNull();
    expect(sessions.find(v.id, () => null)).toBeNull();
    expect(sessions.find('no-such-id', () => ADMIN)).toBeNull();
    expect(sessions.find(undefined, () => ADMIN)).toBeNull();
  });

  it('ends a session at logout, and gives each its own CSRF token', () => {
    const sessions = new Sessions();
    const a = sessions.create('admin', 'admin', ADMIN);
    const b = sessions.create('admin', 'admin', ADMIN);
    expect(a.csrf).not.toBe(b.csrf);
    expect([csrfMatches(a, a.csrf), csrfMatches(a, b.csrf), csrfMatches(a, undefined), csrfMatches(a, '')]).toEqual([true, false, false, false]);
    sessions.end(a.id);
    expect(sessions.find(a.id, () => ADMIN)).toBeNull();
    expect(sessions.find(b.id, () => ADMIN)).not.toBeNull();
  });

  it('keeps at most 1,000 sessions, ending the oldest', () => {
    const sessions = new Sessions();
    const first = sessions.create('viewer', 'viewer', ADMIN);
    for (let i = 0; i < 1_000; i++) sessions.create('viewer', 'viewer', ADMIN);
    expect(sessions.size).toBe(1_000);
    expect(sessions.find(first.id, () => ADMIN)).toBeNull();
  });
});

describe('LoginLimit', () => {
  it('refuses an address after ten failures within 15 minutes, until the first of them is older', () => {
    let now = 0;
    const limit = new LoginLimit(() => now);
    for (let i = 0; i < 9; i++) limit.failed('10.0.0.1');
    expect(limit.waitFor('10.0.0.1')).toBe(0);
    now = 60_000;
    limit.failed('10.0.0.1');
    expect(limit.waitFor('10.0.0.1')).toBe(15 * 60_000 - 60_000);
    expect(limit.waitFor('10.0.0.2')).toBe(0);
    now = 15 * 60_000;
    expect(limit.waitFor('10.0.0.1')).toBe(0);
  });

  it('refuses everyone after 100 failures from anywhere within the window', () => {
    const limit = new LoginLimit(() => 0);
    for (let i = 0; i < 100; i++) limit.failed(`10.0.${Math.floor(i / 5)}.${i % 5}`);
    expect(limit.waitFor('192.168.1.1')).toBe(15 * 60_000);
  });
});
