import { describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../../engine/audit/entry.js';
import { interrupted } from '../../../engine/runtime/executor.js';
import { entryMessage } from '../../../engine/runtime/messages.js';
import { validate } from '../../../engine/schema/validator.js';

const REVISION = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';
const NOW = Date.parse('2026-11-23T12:00:00Z');

function intent(over: Partial<AuditEntry> = {}): AuditEntry {
  return {
    apiVersion: 'homeostat.dev/v1',
    kind: 'action',
    id: '20261123T120000000Z-0000beef',
    at: '2026-11-23T12:00:00.000Z',
    revision: REVISION,
    alert: {
      fingerprint: 'a1b2c3d4e5f60718',
      alertname: 'HighLoad',
      status: 'firing',
      startsAt: '2026-11-23T11:55:00Z',
      labels: { alertname: 'HighLoad', instance: 'web-1' },
    },
    policy: 'restart-web',
    action: 'restart',
    type: 'script',
    phase: 'actions',
    target: 'web-1',
    params: { script: 'restart.sh' },
    description: 'run restart.sh',
    verdict: 'run',
    reason: null,
    guards: { passed: ['duplicate', 'cooldown'], refusedBy: null },
    approval: null,
    outcome: null,
    execution: null,
    ...over,
  };
}

function run(entry: AuditEntry, over: Partial<NonNullable<AuditEntry['execution']>> & Pick<AuditEntry, 'outcome' | 'reason'>): AuditEntry {
  const { outcome, reason, ...execution } = over;
  return {
    ...entry,
    outcome,
    reason,
    execution: {
      startedAt: '2026-11-23T12:00:01.000Z',
      endedAt: '2026-11-23T12:01:31.500Z',
      durationMs: 90_500,
      exitCode: 0,
      signal: null,
      pgid: 4242,
      dryRun: entry.verdict === 'dry-run',
      command: ['scripts/restart.sh'],
      output: '',
      outputTruncated: false,
      ...execution,
    },
  };
}

function trailers(outcome: string, target = 'web-1'): Record<string, string> {
  return {
    'Homeostat-Revision': REVISION,
    'Homeostat-Policy': 'restart-web',
    'Homeostat-Target': target,
    'Homeostat-Alert': 'a1b2c3d4e5f60718',
    'Homeostat-Outcome': outcome,
  };
}

/** Every entry given to entryMessage here is one the schema accepts. */
function message(entry: AuditEntry): { message: string; trailers: Record<string, string> } {
  expect(validate('AuditEntry', entry)).toEqual([]);
  return entryMessage(entry);
}

describe('entryMessage', () => {
  it('words the intent of a run', () => {
    expect(message(intent())).toEqual({
      message: 'intent: restart-web/restart (script) on web-1, for HighLoad firing [a1b2c3d4e5f60718]',
      trailers: trailers('pending'),
    });
  });

  it('words the intent of a dry run', () => {
    expect(message(intent({ verdict: 'dry-run' })).message).toBe(
      'intent (dry run): restart-web/restart (script) on web-1, for HighLoad firing [a1b2c3d4e5f60718]',
    );
  });

  it('words an action awaiting approval', () => {
    expect(message(intent({ verdict: 'awaiting-approval' })).message).toBe(
      'awaiting approval: restart-web/restart (script) on web-1, for HighLoad firing [a1b2c3d4e5f60718]',
    );
  });

  it('says "no target" for an action without one, and leaves the target trailer empty', () => {
    expect(message(intent({ target: null }))).toEqual({
      message: 'intent: restart-web/restart (script) on no target, for HighLoad firing [a1b2c3d4e5f60718]',
      trailers: trailers('pending', ''),
    });
  });

  it('words a success with its duration and exit code, and no reason', () => {
    expect(message(run(intent(), { outcome: 'succeeded', reason: null }))).toEqual({
      message: 'succeeded: restart-web/restart (script) on web-1, for HighLoad firing [a1b2c3d4e5f60718] in 1m30s, exit 0',
      trailers: trailers('succeeded'),
    });
  });

  it('words a dry-run success', () => {
    expect(message(run(intent({ verdict: 'dry-run' }), { outcome: 'succeeded', reason: null, durationMs: 12, exitCode: null })).message).toBe(
      'succeeded (dry run): restart-web/restart (script) on web-1, for HighLoad firing [a1b2c3d4e5f60718] in 12ms',
    );
  });

  it('words a failure with exit code and reason', () => {
    expect(message(run(intent(), { outcome: 'failed', reason: 'exit code 2', durationMs: 2500, exitCode: 2 }))).toEqual({
      message: 'failed: restart-web/restart (script) on web-1, for HighLoad firing [a1b2c3d4e5f60718] in 2s, exit 2',
      trailers: trailers('failed'),
    });
  });

  it('words a timeout with the signal that ended it', () => {
    expect(
      message(run(intent(), { outcome: 'timed_out', reason: 'timed out after 5m', durationMs: 300_000, exitCode: null, signal: 'SIGKILL' })),
    ).toEqual({
      message: 'timed out: restart-web/restart (script) on web-1, for HighLoad firing [a1b2c3d4e5f60718] in 5m, SIGKILL — timed out after 5m',
      trailers: trailers('timed_out'),
    });
  });

  it('words an action interrupted by a stop', () => {
    const entry = interrupted(intent(), NOW, 'interrupted: the engine stopped before this ran; not re-run');
    expect(message(entry)).toEqual({
      message:
        'interrupted: restart-web/restart (script) on web-1, for HighLoad firing [a1b2c3d4e5f60718] — the engine stopped before this ran; not re-run',
      trailers: trailers('interrupted'),
    });
  });

  it('words a refusal with its reason', () => {
    const entry = intent({ verdict: 'refused', outcome: 'refused', reason: 'cooldown: web-1 restarted 2m ago (cooldown 10m)', guards: { passed: ['duplicate'], refusedBy: 'cooldown' } });
    expect(message(entry)).toEqual({
      message: 'refused: restart-web/restart (script) on web-1, for HighLoad firing [a1b2c3d4e5f60718] — cooldown: web-1 restarted 2m ago (cooldown 10m)',
      trailers: trailers('refused'),
    });
  });

  it('words a decision that failed before running (no execution) with its reason', () => {
    const entry = intent({ verdict: 'failed', outcome: 'failed', reason: "label 'pod' is missing", params: null, guards: { passed: [], refusedBy: 'template' } });
    expect(message(entry).message).toBe(
      "failed: restart-web/restart (script) on web-1, for HighLoad firing [a1b2c3d4e5f60718] — label 'pod' is missing",
    );
  });

  it('words a resolved alert', () => {
    const entry = intent({ phase: 'onResolved', alert: { ...intent().alert!, status: 'resolved' } });
    expect(message(entry).message).toBe('intent: restart-web/restart (script) on web-1, for HighLoad resolved [a1b2c3d4e5f60718]');
  });

  it('words an engine event, with the event name as a trailer', () => {
    const entry: AuditEntry = {
      apiVersion: 'homeostat.dev/v1',
      kind: 'event',
      id: '20261123T120000000Z-0000cafe',
      at: '2026-11-23T12:00:00.000Z',
      revision: REVISION,
      event: { name: 'recovered', message: '2 actions interrupted by the last stop recorded; none re-run', details: { ids: [] } },
    };
    expect(message(entry)).toEqual({
      message: 'recovered: 2 actions interrupted by the last stop recorded; none re-run',
      trailers: { 'Homeostat-Revision': REVISION, 'Homeostat-Event': 'recovered' },
    });
  });

  it('keeps the message on one line when a label-derived reason has line breaks', () => {
    const entry = intent({ verdict: 'failed', outcome: 'failed', reason: "label value 'a\nb' is not allowed\r\nsee docs", params: null });
    expect(message(entry).message).toBe(
      "failed: restart-web/restart (script) on web-1, for HighLoad firing [a1b2c3d4e5f60718] — label value 'a b' is not allowed see docs",
    );
  });

  it('cuts a long message to 200 characters ending in an ellipsis, on one line', () => {
    const reason = `${'line\n'.repeat(30)}end`;
    const entry = run(intent({ target: 'node-\n'.repeat(10) }), { outcome: 'failed', reason, exitCode: 1 });
    const { message: text } = message(entry);
    expect(text).toHaveLength(200);
    expect(text).not.toMatch(/[\r\n]/);
    expect(text.endsWith('...')).toBe(true);
    expect(text.startsWith('failed: restart-web/restart (script) on node- node- ')).toBe(true);
  });

  it('is one line of at most 200 characters whatever the labels, reason and event text', () => {
    const pieces = ['', 'x', '\n', '\r\n', 'a\n\nb', 'ü'.repeat(150), 'y'.repeat(250), ' \n '];
    for (const piece of pieces) {
      const entries = [
        intent({ target: piece, alert: { ...intent().alert!, alertname: piece } }),
        run(intent(), { outcome: 'failed', reason: piece, exitCode: 1 }),
        intent({ verdict: 'refused', outcome: 'refused', reason: piece }),
        { ...intent(), kind: 'event' as const, event: { name: 'paused' as const, message: piece } },
      ];
      for (const entry of entries) {
        const { message: text } = entryMessage(entry);
        expect(text.length, JSON.stringify(piece)).toBeLessThanOrEqual(200);
        expect(text, JSON.stringify(piece)).not.toMatch(/[\r\n]/);
      }
    }
  });
});
