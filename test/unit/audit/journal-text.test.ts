import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../../engine/audit/entry.js';
import { serializeEntry } from '../../../engine/audit/entry.js';
import { Journal } from '../../../engine/audit/journal.js';
import { STRINGIFY_SLICE, stringifyEntryParts } from '../../../engine/audit/journal-text.js';

/** A storm's 'refusals' entry whose labels say what an attacker likes: quotes, the mark, NUL, emoji. */
function storm(count: number): AuditEntry {
  const hostile = ['"\u0000refusals\u0000"', '\\"\u0000refusals\u0000\\"', 'line\nbreak', '🚨 down', '\ud83d'];
  return {
    apiVersion: 'homeostat.dev/v1',
    kind: 'refusals',
    id: '20261121T071019000Z-0123abcd',
    at: '2026-11-21T07:10:19.000Z',
    revision: 'content-0facb63c3fba',
    guard: 'rate-limit',
    count,
    verdict: 'refused',
    reason: 'rate limit: "\u0000refusals\u0000"',
    outcome: 'refused',
    refusals: Array.from({ length: count }, (_, i) => ({
      policy: 'notify-critical',
      action: i % 2 ? 'page' : 'slack',
      type: 'pagerduty',
      phase: 'actions',
      target: `fp-${i}`,
      reason: 'rate limit: notify-critical already decided 30 actions in 10m',
      alert: { fingerprint: `fp-${i}`, alertname: 'InstanceDown', status: 'firing', startsAt: '2026-11-21T07:10:19Z', labels: { instance: hostile[i % hostile.length]! }, groupKey: '{}:{}', receiver: 'homeostat' },
    })),
  } as AuditEntry;
}

describe('an entry serialized a slice at a time', () => {
  it('is exactly the text of one JSON.stringify, compact (journal) and indented (audit file)', async () => {
    const entry = storm(2 * STRINGIFY_SLICE + 7);
    const compact = await stringifyEntryParts(entry, false);
    expect(compact.length).toBeGreaterThan(3);
    expect(compact.join('')).toBe(JSON.stringify(entry));
    expect(`${(await stringifyEntryParts(entry, true)).join('')}\n`).toBe(serializeEntry(entry));
  });

  it('is one part for a small entry', async () => {
    const entry = storm(3);
    expect(await stringifyEntryParts(entry, false)).toEqual([JSON.stringify(entry)]);
  });

  it('is journaled in parts, read back whole, however the chunks of a write cut it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'homeostat-journal-text-'));
    try {
      // More than one write chunk (4 Mi characters), with emoji (surrogate pairs) all along.
      const entry = storm(20_000);
      const { journal } = Journal.open(dir);
      const parts = ['{"t":"entry","entry":', ...(await stringifyEntryParts(entry, false)), '}'];
      expect(parts.join('').length).toBeGreaterThan(4 * 1024 * 1024);
      // A part whose 4 Mi-th character is the first half of a surrogate pair.
      const emoji = `${'a'.repeat(4 * 1024 * 1024 - 1)}🚨b`;
      const cut = ['{"t":"committed","upTo":0,"note":"', emoji, '"}'];
      const { seqs, durable } = journal.appendSerialized([parts, cut, JSON.stringify({ t: 'committed', upTo: 0 })]);
      await durable;
      await journal.close();
      const { journal: reopened, records } = Journal.open(dir);
      await reopened.close();
      expect(records).toEqual([{ seq: seqs[0], t: 'entry', entry }, { seq: seqs[1], t: 'committed', upTo: 0, note: emoji }, { seq: seqs[2], t: 'committed', upTo: 0 }]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
