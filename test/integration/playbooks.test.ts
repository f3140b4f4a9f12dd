// The bundled playbooks, run by the real ansible-playbook against this machine (-c local).
// Every playbook must pass --syntax-check and have a check-mode run below. stop_cpu_hog and
// clean_disk also run for real, in Linux namespaces (as root) that keep them to a CPU hog
// and to files that the test makes. What a playbook honestly cannot do here (restart a unit
// without systemd, reboot the control node) is asserted as the clean failure it is.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  accessSync, chmodSync, constants, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync,
  readdirSync, rmSync, symlinkSync, utimesSync, writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { createInterface } from 'node:readline';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const playbooks = readdirSync(join(repoRoot, 'playbooks')).filter((f) => f.endsWith('.yml')).sort();
const RUN_TIMEOUT_MS = 120_000;

function findOnPath(command: string, debianPackage: string): string {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, command);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this PATH entry
    }
  }
  throw new Error(`${command} is not on PATH: install the Debian package ${debianPackage} (apt-get install ${debianPackage})`);
}

function findAnsiblePlaybook(): string {
  return findOnPath('ansible-playbook', 'ansible-core');
}

interface Run { code: number | null; output: string }

// Runs ansible-playbook, inside the PID and mount namespaces of process `namespacePid` if
// given (see the stop_cpu_hog tests).
function runAnsible(args: string[], namespacePid?: number): Promise<Run> {
  const env = {
    ...process.env,
    ANSIBLE_NOCOLOR: '1',
    ANSIBLE_PYTHON_INTERPRETER: 'auto_silent',
    ANSIBLE_STDOUT_CALLBACK: 'default',
    ANSIBLE_RETRY_FILES_ENABLED: 'false',
  };
  const [file, argv] = namespacePid === undefined
    ? [findAnsiblePlaybook(), args]
    : [findOnPath('nsenter', 'util-linux'),
      ['--target', String(namespacePid), '--pid', '--mount', `--wd=${repoRoot}`, '--', findAnsiblePlaybook(), ...args]];
  return new Promise((resolve, reject) => {
    execFile(file, argv, { cwd: repoRoot, env, timeout: RUN_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : error.code;
        if (typeof code === 'string') return reject(error); // could not start at all
        resolve({ code: code ?? null, output: `${stdout}\n${stderr}` });
      });
  });
}

let varsDir = '';
beforeAll(() => { varsDir = mkdtempSync(join(tmpdir(), 'homeostat-playbook-vars-')); });
afterAll(() => { rmSync(varsDir, { recursive: true, force: true }); });

function runPlaybook(playbook: string, vars: Record<string, unknown>,
  { mode = 'check', namespacePid, namespaceWd }: { mode?: 'check' | 'apply'; namespacePid?: number; namespaceWd?: string } = {}): Promise<Run> {
  // Written where ansible-playbook will see it: inside the namespace's own filesystems if any.
  const seenFrom = namespacePid === undefined ? '' : `/proc/${namespacePid}/root`;
  const varsFile = join(varsDir, `${playbook}-${Date.now()}-${Math.random().toString(36).slice(2)}.json`);
  mkdirSync(seenFrom + varsDir, { recursive: true });
  writeFileSync(seenFrom + varsFile, JSON.stringify(vars));
  const check = mode === 'check' ? ['--check', '--diff'] : [];
  // nsenter resolves --wd before it enters the namespace: name the playbook by its path there.
  const path = namespaceWd === undefined ? `playbooks/${playbook}` : `${namespaceWd}/playbooks/${playbook}`;
  return runAnsible(['-i', 'localhost,', '-c', 'local', ...check, '-e', `@${varsFile}`, path], namespacePid);
}

async function pollUntil<T>(what: string, probe: () => T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function recap(output: string): Record<string, number> {
  const m = /localhost\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)/.exec(output);
  if (m === null) throw new Error(`no play recap in the output:\n${output}`);
  return { ok: Number(m[1]), changed: Number(m[2]), unreachable: Number(m[3]), failed: Number(m[4]) };
}

describe('bundled playbooks', () => {
  it('each playbook has a check-mode run in this file', () => {
    expect(playbooks).toEqual(['check_dns.yml', 'check_services.yml', 'clean_disk.yml', 'reboot_node.yml', 'restart_service.yml', 'stop_cpu_hog.yml']);
  });

  it.each(playbooks)('%s passes ansible-playbook --syntax-check', async (playbook) => {
    const run = await runAnsible(['--syntax-check', '-i', 'localhost,', `playbooks/${playbook}`]);
    expect(run.output).toContain(`playbook: playbooks/${playbook}`);
    expect(run.code).toBe(0);
  });
});

describe('check_dns.yml', () => {
  it('in check mode with the bundled inventory, resolves localhost through the resolver and changes nothing', async () => {
    const run = await runAnsible(['-i', 'inventory/hosts.yml', '--limit', 'localhost', '--check', 'playbooks/check_dns.yml']);
    expect(run.output).toMatch(/DNS ok on localhost: localhost=(127\.0\.0\.1|::1)/);
    expect(run.output).toMatch(/localhost\s+: ok=\d+\s+changed=0\s+unreachable=0\s+failed=0/);
    expect(run.code).toBe(0);
  });

  it('fails naming a name that resolves to none of the expected addresses, and a name that is not a host name', async () => {
    const wrong = await runAnsible(['-i', 'localhost,', '-c', 'local', '-e', JSON.stringify({ check_dns_expect: { localhost: ['192.0.2.1'] } }), 'playbooks/check_dns.yml']);
    expect(wrong.output).toContain('not resolved to an expected address: localhost');
    expect(wrong.code).toBe(2);
    const hostile = await runAnsible(['-i', 'localhost,', '-c', 'local', '-e', JSON.stringify({ check_dns_names: ['-oProxyCommand=x'] }), 'playbooks/check_dns.yml']);
    expect(hostile.output).toContain('nothing checked: check_dns_names must be a non-empty list of host names');
    expect(hostile.code).toBe(2);
  });
});

describe('check_services.yml', () => {
  let server: ChildProcess | undefined;
  afterEach(() => server?.kill('SIGKILL'));

  it('in check mode, finds a listening HTTP service healthy, and names each URL and port that does not answer', async () => {
    server = spawn(process.execPath, ['-e', "const s=require('http').createServer((q,r)=>r.end('ok')).listen(0,'127.0.0.1',()=>console.log(s.address().port))"], { stdio: ['ignore', 'pipe', 'inherit'] });
    const port = Number(await new Promise<string>((resolve) => createInterface({ input: server!.stdout! }).once('line', resolve)));
    const ok = await runAnsible(['-i', 'localhost,', '-c', 'local', '--check', '-e', JSON.stringify({ health_checks: [{ name: 'web', url: `http://127.0.0.1:${port}/` }, { name: 'tcp', host: '127.0.0.1', port }] }), 'playbooks/check_services.yml']);
    expect(ok.output).toContain('services ok on localhost: web, tcp');
    expect(ok.output).toMatch(/localhost\s+: ok=\d+\s+changed=0/);
    expect(ok.code).toBe(0);
    server.kill('SIGKILL');
    const down = await runAnsible(['-i', 'localhost,', '-c', 'local', '--check', '-e', JSON.stringify({ health_checks: [{ name: 'web', url: `http://127.0.0.1:${port}/` }, { name: 'tcp', host: '127.0.0.1', port, timeout: 1 }] }), 'playbooks/check_services.yml']);
    expect(down.output).toContain('service check failed on localhost: web, tcp');
    expect(down.code).toBe(2);
  });
});

describe('restart_service.yml', () => {
  const systemdRunning = existsSync('/run/systemd/system');

  it('in check mode, reads the unit, or fails cleanly where systemd is not running', async () => {
    if (systemdRunning) {
      const run = await runPlaybook('restart_service.yml', { service: 'systemd-journald.service' });
      expect(run.output).toContain('nothing restarted: systemd-journald.service is already active');
      expect(recap(run.output)).toMatchObject({ changed: 0, failed: 0 });
      expect(run.code).toBe(0);
      return;
    }
    const run = await runPlaybook('restart_service.yml', { service: 'nginx.service' });
    expect(run.output).toContain(
      'nothing restarted: systemd is not running on localhost (no /run/systemd/system), so nginx.service cannot be restarted: a human must look');
    expect(run.output).not.toContain('TASK [Restart the unit]');
    expect(recap(run.output)).toMatchObject({ changed: 0, failed: 1 });
    expect(run.code).toBe(2);
  });

  it.each(['nginx.service; reboot', '-H.service', '../../etc/passwd.service', 'nginx', 'nginx.socket'])(
    'refuses the unit name %j before touching anything', async (service) => {
      const run = await runPlaybook('restart_service.yml', { service });
      expect(run.output).toContain(`nothing restarted: ${service} is not a valid systemd service unit name`);
      expect(recap(run.output)).toMatchObject({ ok: 0, failed: 1 });
      expect(run.code).toBe(2);
    });
});

describe('stop_cpu_hog.yml', () => {
  const MIN_AGE_SECONDS = 2;
  const MIN_CPU_PERCENT = 10;
  const HOG_TEST_TIMEOUT_MS = 60_000;
  const namespaceInits: number[] = [];
  afterEach(() => {
    for (const pid of namespaceInits.splice(0)) {
      try {
        process.kill(pid, 'SIGKILL'); // the namespace and its hog go with its init
      } catch {
        // already gone
      }
    }
  });

  interface Hog { namespacePid: number; pid: number; running: () => boolean; exit: Promise<string | number | null> }

  // A CPU hog (two busy threads, its comm set to `title`) alone in a PID namespace of its own,
  // so that the playbook run inside that namespace sees it as the top CPU consumer whatever
  // else this machine runs, and can signal nothing outside it. The namespace's init (PID 1)
  // starts the hog, prints its PID, then how it exited; it stays up while the playbook runs
  // (the namespace ends with it) until the test kills it, or 60s have passed.
  async function startHog(title: string, onSigterm: 'exit' | 'ignore'): Promise<Hog> {
    const hogSource = `
      const { Worker } = require('node:worker_threads');
      process.title = process.argv[1];
      if (process.argv[2] === 'ignore') process.on('SIGTERM', () => {});
      for (let i = 0; i < 2; i++) new Worker('for (;;) {}', { eval: true });`;
    const initSource = `
      const hog = require('node:child_process').spawn(process.execPath,
        ['-e', ${JSON.stringify(hogSource)}, ...process.argv.slice(1)], { stdio: 'ignore' });
      console.log(JSON.stringify({ pid: hog.pid }));
      hog.on('exit', (code, signal) => console.log(JSON.stringify({ exit: signal ?? code })));
      setTimeout(() => process.exit(0), 60000);`;
    const unshare = spawn(findOnPath('unshare', 'util-linux'),
      ['--pid', '--fork', '--mount-proc', '--', process.execPath, '-e', initSource, title, onSigterm],
      { stdio: ['ignore', 'pipe', 'inherit'] });
    const lines: Array<{ pid?: number; exit?: string | number | null }> = [];
    const exit = new Promise<string | number | null>((resolve) => {
      createInterface({ input: unshare.stdout! }).on('line', (line) => {
        const message = JSON.parse(line) as { pid?: number; exit?: string | number | null };
        lines.push(message);
        if ('exit' in message) resolve(message.exit ?? null);
      });
      unshare.on('close', () => resolve(null));
    });
    const namespacePid = await pollUntil('the namespace init to start (unshare --pid needs root)', () => {
      const children = readFileSync(`/proc/${unshare.pid}/task/${unshare.pid}/children`, 'utf8').trim();
      return children === '' ? undefined : Number(children.split(' ')[0]);
    });
    namespaceInits.push(namespacePid);
    const pid = await pollUntil('the hog to start', () => lines.find((l) => l.pid !== undefined)?.pid);
    await pollUntil(`the hog to be ${MIN_AGE_SECONDS}s old and above ${MIN_CPU_PERCENT}% CPU`, () => {
      const ps = spawnSync(findOnPath('nsenter', 'util-linux'),
        ['--target', String(namespacePid), '--pid', '--mount', '--', 'ps', '-o', 'etimes=,pcpu=', '-p', String(pid)],
        { encoding: 'utf8' });
      const [etimes, pcpu] = ps.stdout.trim().split(/\s+/).map(Number);
      return (etimes ?? 0) >= MIN_AGE_SECONDS && (pcpu ?? 0) > MIN_CPU_PERCENT ? true : undefined;
    });
    return { namespacePid, pid, running: () => !lines.some((l) => 'exit' in l), exit };
  }

  function runAgainst(hog: Hog, vars: Record<string, unknown>, mode: 'check' | 'apply'): Promise<Run> {
    return runPlaybook('stop_cpu_hog.yml',
      { min_cpu_percent: MIN_CPU_PERCENT, min_age_seconds: MIN_AGE_SECONDS, ...vars },
      { mode, namespacePid: hog.namespacePid });
  }

  it('in check mode, stops nothing on this machine when no process is above min_cpu_percent', async () => {
    const run = await runPlaybook('stop_cpu_hog.yml', { min_cpu_percent: 1_000_000 });
    expect(run.output).toMatch(/nothing stopped: the top CPU consumer is '.+' \(pid \d+, [\d.]+% CPU\), not above min_cpu_percent=1000000/);
    expect(recap(run.output)).toMatchObject({ changed: 0, failed: 0 });
    expect(run.code).toBe(0);
  });

  it('with an empty allowlist, fails saying a human must look, and shows a hostile name as text', async () => {
    const hog = await startHog('{{7*7}}', 'exit');
    const run = await runAgainst(hog, { killable_processes: [] }, 'check');
    expect(run.output).toMatch(new RegExp(
      `nothing stopped: the top CPU consumer is '\\{\\{7\\*7\\}\\}' \\(pid ${hog.pid}, [\\d.]+% CPU\\), which is not in\\s+killable_processes \\[\\]: a human must look`));
    expect(recap(run.output)).toMatchObject({ changed: 0, failed: 1 });
    expect(run.code).toBe(2);
    expect(hog.running()).toBe(true);
  }, HOG_TEST_TIMEOUT_MS);

  it('in check mode, says what it would signal and signals nothing', async () => {
    const hog = await startHog('homeostat-hog', 'exit');
    const run = await runAgainst(hog, { killable_processes: ['homeostat-hog'] }, 'check');
    expect(run.output).toMatch(new RegExp(`check mode: would send SIGTERM to 'homeostat-hog' \\(pid ${hog.pid},`));
    expect(recap(run.output)).toMatchObject({ changed: 0, failed: 0 });
    expect(run.code).toBe(0);
    expect(hog.running()).toBe(true);
  }, HOG_TEST_TIMEOUT_MS);

  it('stops an allowlisted hog with SIGTERM', async () => {
    const hog = await startHog('homeostat-hog', 'exit');
    const run = await runAgainst(hog, { killable_processes: ['homeostat-hog'], grace_seconds: 5 }, 'apply');
    expect(run.output).toMatch(new RegExp(`stopped 'homeostat-hog' \\(pid ${hog.pid}, [\\d.]+% CPU\\) with SIGTERM`));
    expect(recap(run.output)).toMatchObject({ changed: 1, failed: 0 });
    expect(run.code).toBe(0);
    expect(await hog.exit).toBe('SIGTERM');
  }, HOG_TEST_TIMEOUT_MS);

  it('sends SIGKILL to the same hog when it ignores SIGTERM for grace_seconds', async () => {
    const hog = await startHog('homeostat-hog', 'ignore');
    const run = await runAgainst(hog, { killable_processes: ['homeostat-hog'], grace_seconds: 1 }, 'apply');
    expect(run.output).toMatch(new RegExp(`stopped 'homeostat-hog' \\(pid ${hog.pid}, [\\d.]+% CPU\\) with SIGKILL after 1s`));
    expect(recap(run.output)).toMatchObject({ changed: 2, failed: 0 });
    expect(run.code).toBe(0);
    expect(await hog.exit).toBe('SIGKILL');
  }, HOG_TEST_TIMEOUT_MS);
});

describe('clean_disk.yml', () => {
  it('in check mode on this machine, reports what it would free and removes nothing', async () => {
    const run = await runPlaybook('clean_disk.yml', { mountpoint: '/' });
    expect(run.output).toMatch(/check mode: would free \d+ bytes \(.*\) on the filesystem\s+of \/ by removing \d+ files/);
    expect(recap(run.output)).toMatchObject({ failed: 0 });
    expect(run.code).toBe(0);
  });

  it.each(['var', '/var/../etc', '/var/log/./x'])('refuses the mountpoint %j', async (mountpoint) => {
    const run = await runPlaybook('clean_disk.yml', { mountpoint });
    expect(run.output).toContain('nothing removed: mountpoint must be an absolute path without . or ..');
    expect(recap(run.output)).toMatchObject({ ok: 0, failed: 1 });
    expect(run.code).toBe(2);
  });

  // The runs that remove files do it in a mount namespace of their own, where /var/log, /tmp
  // and /var/tmp are fresh tmpfs filesystems holding only the files the test makes, seen
  // from here through /proc/PID/root. Nothing of this machine's is touched.
  describe('in a mount namespace with its own /var/log, /tmp and /var/tmp', () => {
    const NAMESPACE_REPO = '/mnt';
    const DAY_MS = 24 * 3600 * 1000;
    const removable = ['/var/log/app.log.1', '/var/log/app-{{7*7}}.log.gz', '/var/log/app.log.old', '/var/log/nginx/access.log.2.gz'];
    const kept = [
      '/var/log/app.log', // live log: no rotation suffix
      '/var/log/app-recent.log.2', // rotated, but recent
      '/var/log/.hidden.log.1',
      '/var/log/link.log.1', // a symlink
      '/var/log/shared/inner/app.log.1', // below a world-writable directory
      '/tmp/recent.tmp',
      '/tmp/backdated.tmp', // old mtime and atime, but changed (ctime) just now
      '/tmp/sub/old.tmp', // not at the top of /tmp
    ];
    let holder: ChildProcess | undefined;
    let root = '';
    let removableBytes = 0;

    beforeAll(async () => {
      holder = spawn(findOnPath('unshare', 'util-linux'),
        ['--mount', '--propagation', 'private', '--', process.execPath, '-e', 'setTimeout(() => {}, 300000)'],
        { stdio: 'ignore' });
      const pid = holder.pid!;
      // unshare execs node once the namespace exists: wait for that, then mount the tmpfs.
      await pollUntil('the mount namespace (unshare --mount needs root)', () =>
        readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith(process.execPath) ? true : undefined);
      // The checkout may itself live under /tmp (CI clones anywhere): bind it to /mnt first, so
      // that the tmpfs mounts below cannot hide the playbooks.
      const bind = spawnSync(findOnPath('nsenter', 'util-linux'),
        ['--target', String(pid), '--mount', '--', 'mount', '--bind', repoRoot, NAMESPACE_REPO], { encoding: 'utf8' });
      if (bind.status !== 0) throw new Error(`could not bind the repository to ${NAMESPACE_REPO} in a mount namespace (root needed): ${bind.stderr}`);
      for (const [dir, mode] of [['/var/log', '0755'], ['/tmp', '1777'], ['/var/tmp', '1777']] as const) {
        const mount = spawnSync(findOnPath('nsenter', 'util-linux'),
          ['--target', String(pid), '--mount', '--', 'mount', '-t', 'tmpfs', '-o', `mode=${mode}`, 'homeostat-test', dir],
          { encoding: 'utf8' });
        if (mount.status !== 0) throw new Error(`could not mount a tmpfs on ${dir} in a mount namespace (root needed): ${mount.stderr}`);
      }
      root = `/proc/${pid}/root`;
      const old = new Date(Date.now() - 30 * DAY_MS);
      for (const dir of ['/var/log/nginx', '/var/log/shared/inner', '/tmp/sub']) mkdirSync(root + dir, { recursive: true });
      chmodSync(`${root}/var/log/shared`, 0o777);
      for (const path of [...removable, ...kept]) {
        if (path === '/var/log/link.log.1') continue;
        const content = `fixture ${path}\n`.repeat(10);
        writeFileSync(root + path, content);
        if (removable.includes(path)) removableBytes += Buffer.byteLength(content);
        if (!path.includes('recent')) utimesSync(root + path, old, old);
      }
      symlinkSync('/var/log/app.log.1', `${root}/var/log/link.log.1`);
    });
    afterAll(() => { holder?.kill('SIGKILL'); });

    // lstat, not stat: the symlink's target is a path in the namespace, not here.
    const isThere = (path: string): boolean => {
      try {
        lstatSync(path);
        return true;
      } catch {
        return false;
      }
    };
    const run = (vars: Record<string, unknown>, mode: 'check' | 'apply'): Promise<Run> =>
      runPlaybook('clean_disk.yml', vars, { mode, namespacePid: holder!.pid!, namespaceWd: NAMESPACE_REPO });

    it('in check mode, lists only old rotated logs and old temporary files, and removes nothing', async () => {
      const result = await run({ mountpoint: '/var/log' }, 'check');
      for (const path of removable) expect(result.output).toContain(`(item=${path})`);
      for (const path of kept) expect(result.output).not.toContain(`(item=${path})`);
      expect(result.output).toContain(`check mode: would free ${removableBytes} bytes`);
      expect(result.output).toContain('"/var/log/shared/inner/app.log.1"'); // in the list of logs left alone
      expect(recap(result.output)).toMatchObject({ changed: 1, failed: 0 });
      expect(result.code).toBe(0);
      for (const path of [...removable, ...kept]) expect(isThere(root + path)).toBe(true);
    });

    it('leaves alone the files of every other filesystem', async () => {
      const result = await run({ mountpoint: '/var/tmp' }, 'check');
      expect(result.output).toMatch(/check mode: would free 0 bytes \(.*\) on the filesystem\s+of \/var\/tmp by removing 0 files/);
      expect(recap(result.output)).toMatchObject({ changed: 0, failed: 0 });
      expect(result.code).toBe(0);
    });

    it('removes them, says how many bytes it freed, and changes nothing on a second run', async () => {
      const first = await run({ mountpoint: '/var/log' }, 'apply');
      expect(first.output).toMatch(new RegExp(`freed ${removableBytes} bytes \\(.*\\) on the filesystem\\s+of /var/log by removing ${removable.length} files`));
      expect(recap(first.output)).toMatchObject({ changed: 1, failed: 0 });
      expect(first.code).toBe(0);
      for (const path of removable) expect(isThere(root + path)).toBe(false);
      for (const path of kept) expect(isThere(root + path)).toBe(true);

      const second = await run({ mountpoint: '/var/log' }, 'apply');
      expect(second.output).toMatch(/freed 0 bytes \(.*\) on the filesystem\s+of \/var\/log by removing 0 files/);
      expect(recap(second.output)).toMatchObject({ changed: 0, failed: 0 });
      expect(second.code).toBe(0);
    });
  });
});

describe('reboot_node.yml', () => {
  it('refuses to reboot a host other than target_host', async () => {
    const run = await runPlaybook('reboot_node.yml', { target_host: 'web-1' });
    expect(run.output).toContain('refusing to reboot localhost: the reboot was approved for target_host=web-1');
    expect(run.output).not.toContain('TASK [Reboot the node');
    expect(recap(run.output)).toMatchObject({ ok: 0, failed: 1 });
    expect(run.code).toBe(2);
  });

  it('refuses a reboot message that would reach a shell', async () => {
    const run = await runPlaybook('reboot_node.yml', { reboot_message: 'bye" $(touch /tmp/pwned) "' });
    expect(run.output).toContain('nothing rebooted: reboot_timeout must be a whole number');
    expect(run.output).not.toContain('TASK [Reboot the node');
    expect(run.code).toBe(2);
  });

  it('refuses to reboot more than one host in one run', async () => {
    const run = await runAnsible(['-i', 'localhost,web-1,', '-c', 'local', '--check', 'playbooks/reboot_node.yml']);
    expect(run.output).toContain('refusing to reboot 2 hosts at once (localhost, web-1): limit the run to the one node to reboot');
    expect(run.output).not.toContain('TASK [Reboot the node');
    expect(run.code).toBe(2);
  });

  it('in check mode, passes the guards for target_host and says what it would do, without rebooting', async () => {
    const run = await runPlaybook('reboot_node.yml', { target_host: 'localhost', reboot_timeout: 300 });
    expect(run.output).toMatch(/TASK \[Refuse to reboot a host other than target_host\][^\n]*\nok: \[localhost\]/);
    expect(run.output).toMatch(/TASK \[Refuse to reboot more than one host in one run\][^\n]*\nok: \[localhost\]/);
    expect(run.output).toMatch(/TASK \[Reboot the node and wait for it to come back\][^\n]*\nskipping: \[localhost\]/);
    expect(run.output).toContain('check mode: would reboot localhost and wait up to 300s for it to come back');
    expect(recap(run.output)).toMatchObject({ ok: 4, changed: 1, failed: 0 });
    expect(run.code).toBe(0);
  });
});
