import { describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../../engine/audit/entry.js';
import { refusalsByGuard } from '../../../engine/web/sections/refusals.js';

const entry = (at: string, fields: Partial<AuditEntry>): AuditEntry => ({ apiVersion: 'homeostat.dev/v1', kind: 'action', id: `x-${at}`, at, revision: 'r', ...fields }) as AuditEntry;

describe('refusalsByGuard', () => {
  it("counts refused actions, runs and a storm's refusals by guard, within the window only", () => {
    const since = Date.parse('2026-11-21T09:00:00Z');
    const entries = [
      entry('2026-11-21T09:30:00Z', { outcome: 'refused', guards: { passed: [], refusedBy: 'cooldown' } }),
      entry('2026-11-21T09:40:00Z', { outcome: 'refused', guards: { passed: [], refusedBy: 'cooldown' } }),
      entry('2026-11-21T09:45:00Z', { kind: 'refusals', guard: 'blast-radius', count: 408, outcome: 'refused' }),
      entry('2026-11-21T09:50:00Z', { kind: 'run', outcome: 'refused', guards: { passed: [], refusedBy: 'window' } }),
      entry('2026-11-21T09:55:00Z', { outcome: 'succeeded', guards: { passed: ['cooldown'], refusedBy: null } }),
      entry('2026-11-21T08:59:59Z', { outcome: 'refused', guards: { passed: [], refusedBy: 'rate-limit' } }),
    ];
    expect(refusalsByGuard(entries, since)).toEqual([
      { guard: 'blast-radius', count: 408, last: '2026-11-21T09:45:00Z' },
      { guard: 'cooldown', count: 2, last: '2026-11-21T09:40:00Z' },
      { guard: 'window', count: 1, last: '2026-11-21T09:50:00Z' },
    ]);
  });
});
