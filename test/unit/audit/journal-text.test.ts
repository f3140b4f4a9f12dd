import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../../engine/audit/entry.js';
import { serializeEntry } from '../../../engine/audit/entry.js';
import { Journal, WRITE_BYTES } from '../../../engine/audit/journal.js';
import { encodeEntryParts, STRINGIFY_SLICE } from '../../../engine/audit/journal-text.js';

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
    const compact = await encodeEntryParts(entry, false);
    const indented = await encodeEntryParts(entry, true);
    expect(compact.length).toBeGreaterThan(3);
    // Parts whose text was small enough not to be a large object (128 KB), indented too.
    expect(Math.max(...compact.map((p) => p.length))).toBeLessThan(64 * 1024);
    expect(Math.max(...indented.map((p) => p.length))).toBeLessThan(128 * 1024);
    expect(Buffer.concat(compact).toString('utf8')).toBe(JSON.stringify(entry));
    expect(`${Buffer.concat(indented).toString('utf8')}\n`).toBe(serializeEntry(entry));
  });

  it('is one part for a small entry', async () => {
    const entry = storm(3);
    expect(await encodeEntryParts(entry, false)).toEqual([Buffer.from(JSON.stringify(entry))]);
  });

  it('is journaled in parts, read back whole, however the chunks of a write cut it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'homeostat-journal-text-'));
    try {
      // More than one write buffer, with emoji (surrogate pairs) all along.
      const entry = storm(20_000);
      const { journal } = Journal.open(dir);
      const parts = ['{"t":"entry","entry":', ...(await encodeEntryParts(entry, false)), '}'] as const;
      expect(Buffer.concat(parts.map((p) => Buffer.from(p))).length).toBeGreaterThan(4 * WRITE_BYTES);
      // A part larger than the write buffer goes in slices of a third of it (3 bytes at most per
      // character): here the fourth slice ends on the first half of a surrogate pair.
      const emoji = `${'a'.repeat(4 * Math.floor(WRITE_BYTES / 3) - 1)}🚨b`;
      const cut = ['{"t":"committed","upTo":0,"note":"', emoji, '"}'] as const;
      // A part given as bytes, larger than the write buffer, is written as it is.
      const long = 'é'.repeat(WRITE_BYTES);
      const bytes = ['{"t":"committed","upTo":0,"note":"', Buffer.from(long), '"}'] as const;
      const { seqs, durable } = journal.appendSerialized([parts, cut, JSON.stringify({ t: 'committed', upTo: 0 }), bytes]);
      await durable;
      await journal.close();
      const { journal: reopened, records } = Journal.open(dir);
      await reopened.close();
      expect(records).toEqual([
        { seq: seqs[0], t: 'entry', entry },
        { seq: seqs[1], t: 'committed', upTo: 0, note: emoji },
        { seq: seqs[2], t: 'committed', upTo: 0 },
        { seq: seqs[3], t: 'committed', upTo: 0, note: long },
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
