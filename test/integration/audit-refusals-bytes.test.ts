/**
 * A storm's 'refusals' entry reaches the audit repository as bytes in parts (auditor.ts),
 * never one string: the file git holds is still exactly serializeEntry(entry), whether the
 * batch is committed a write at a time or in bulk, and `git fsck` finds every blob where its
 * id says (the id is hashed over the parts).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../engine/audit/entry.js';
import { newEntryId, serializeEntry } from '../../engine/audit/entry.js';
import { Journal } from '../../engine/audit/journal.js';
import { PART_ITEMS } from '../../engine/audit/journal-text.js';
import { PER_WRITE_MAX } from '../../engine/audit/layout.js';
import type { AuditRepo } from '../../engine/audit/repo.js';
import { Auditor } from '../../engine/runtime/auditor.js';
import { createMetrics } from '../../engine/runtime/metrics.js';
import { gitSandbox } from '../helpers/git.js';
import { requireCommand } from '../helpers/processes.js';

const sandbox = gitSandbox('homeostat-audit-refusals-');
const cleanup: (() => Promise<void> | void)[] = [];

beforeAll(() => {
  requireCommand('git', 'git');
});

afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

function refusals(count: number, at: number): AuditEntry {
  return {
    apiVersion: 'homeostat.dev/v1',
    kind: 'refusals',
    id: newEntryId(at),
    at: new Date(at).toISOString(),
    revision: 'content-0facb63c3fba',
    guard: 'blast-radius',
    count,
    verdict: 'refused',
    reason: 'blast radius: 25% of the fleet already disrupted',
    outcome: 'refused',
    refusals: Array.from({ length: count }, (_, i) => ({
      policy: 'node-down',
      action: 'cordon',
      type: 'ansible',
      phase: 'actions',
      target: `node-${i}`,
      reason: 'blast radius: 25% of the fleet already disrupted',
      alert: { fingerprint: `${i}`.padStart(16, '0'), alertname: 'InstanceDown', status: 'firing', startsAt: '2026-11-21T07:10:19Z', labels: { instance: `nœud-${i}:9100 🚨` }, groupKey: '{}:{}', receiver: 'homeostat' },
    })),
  } as AuditEntry;
}

async function commitThroughAuditor(entries: readonly AuditEntry[]): Promise<AuditRepo> {
  const repo = await sandbox.openAudit({ repackEvery: 1000 });
  cleanup.push(() => repo.close());
  const dir = mkdtempSync(join(tmpdir(), 'homeostat-audit-refusals-journal-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  const { journal } = Journal.open(dir);
  cleanup.push(() => journal.close());
  const auditor = new Auditor(repo, journal, pino({ level: 'silent' }), createMetrics({ defaults: false }));
  const { seqs, durable } = journal.append(entries.map((entry) => ({ t: 'entry' as const, entry })));
  await durable;
  await Promise.all(entries.map((entry, i) => auditor.enqueue(seqs[i]!, entry)));
  return repo;
}

describe("a 'refusals' entry committed as bytes in parts", () => {
  const at = Date.UTC(2026, 10, 21, 7, 10, 19);

  it('is the file serializeEntry gives, in a batch of one commit per write', async () => {
    const entries = [refusals(3 * PART_ITEMS + 7, at), refusals(2, at + 1)];
    const repo = await commitThroughAuditor(entries);
    for (const entry of entries) expect(await repo.read(entry.id)).toBe(serializeEntry(entry));
    expect(execFileSync('git', ['--git-dir', repo.dir, 'fsck', '--no-dangling', '--no-progress'], { encoding: 'utf8' }).trim()).toBe('');
  });

  it('is the file serializeEntry gives, in a bulk batch', async () => {
    const entries = Array.from({ length: PER_WRITE_MAX + 2 }, (_, i) => refusals(PART_ITEMS * (i % 3) + 1 + i, at + i));
    const repo = await commitThroughAuditor(entries);
    for (const entry of entries) expect(await repo.read(entry.id)).toBe(serializeEntry(entry));
    // The first entry queued starts a commit of its own; the others wait and go in bulk.
    const subject = execFileSync('git', ['--git-dir', repo.dir, 'log', '-1', '--format=%s', 'main'], { encoding: 'utf8' }).trim();
    expect(Number(/^audit: (\d+) entries/.exec(subject)?.[1])).toBeGreaterThan(PER_WRITE_MAX);
    expect(execFileSync('git', ['--git-dir', repo.dir, 'fsck', '--no-dangling', '--no-progress'], { encoding: 'utf8' }).trim()).toBe('');
  });
});
