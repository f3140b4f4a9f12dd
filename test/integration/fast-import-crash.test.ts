/**
 * The crash report a failed `git fast-import` leaves in the audit repository
 * (fast_import_crash_<pid>, made here by a real git fed a bad stream) is removed when the
 * engine next starts, with a log line naming it and git's reason; the repository stays sound
 * and the new run is committed.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ECHO_REPO } from '../helpers/echo-policy.js';
import { closeTestEngine, payload, startTestEngine, waitFor } from '../helpers/engine.js';
import type { TestEngine } from '../helpers/engine.js';
import { capturedLog } from '../helpers/log-lines.js';

let t: TestEngine | undefined;
afterEach(async () => (t = await closeTestEngine(t)));

async function runEcho(engine: TestEngine, host: string): Promise<void> {
  expect((await engine.post(payload({ alertname: 'Echo', host }))).statusCode).toBe(202);
  await waitFor(() => engine.engine.recent.list({ outcome: 'succeeded' }).find((a) => a.target === host), `the action on ${host} to end`);
}

const crashReports = (auditDir: string) => readdirSync(auditDir).filter((name) => name.startsWith('fast_import_crash_'));

describe('a fast-import crash report in the audit repository', () => {
  it('is removed at start-up with a log line; fsck passes and the next run is committed', async () => {
    const first = (t = await startTestEngine({ files: ECHO_REPO }));
    await runEcho(first, 'before');
    await first.close();
    const auditDir = join(first.dataDir, 'audit');
    const crash = spawnSync('git', ['fast-import', '--quiet'], { env: { ...process.env, GIT_DIR: auditDir }, input: 'no-such-command\n', encoding: 'utf8' });
    expect(crash.status).not.toBe(0);
    const [report] = crashReports(auditDir);
    expect(report).toMatch(/^fast_import_crash_[0-9]+$/);

    const { log, lines } = capturedLog();
    t = await startTestEngine({ files: ECHO_REPO, dataDir: first.dataDir, log });
    expect(crashReports(auditDir)).toEqual([]);
    expect(lines.filter((l) => l.file === report)).toEqual([
      expect.objectContaining({ level: 40, dir: auditDir, file: report, fatal: 'Unsupported command: no-such-command', msg: 'git fast-import crash report removed from the audit repository (the journal holds every entry)' }),
    ]);
    await runEcho(t, 'after');
    await t.close();
    execFileSync('git', ['-C', auditDir, 'fsck', '--strict'], { stdio: 'pipe' });
    expect(t.git('log', '--format=%s', 'main')).toMatch(/succeeded: echo-host\/echo \(script\) on after/);
  });
});
