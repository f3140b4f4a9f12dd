/**
 * Cold load: a fresh `node dist/engine/cli/main.js lint DIR --format json`, timed on the wall
 * clock, with the CPU time it used (from the kernel's children accounting, Linux only).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

let ticksPerSecond;

function clockTicks() {
  if (ticksPerSecond === undefined) {
    const out = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
    ticksPerSecond = Number(out.stdout) > 0 ? Number(out.stdout) : 100;
  }
  return ticksPerSecond;
}

/** CPU seconds (user + system) of the children this process has waited for; null off Linux. */
export function childrenCpuSeconds() {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 16 and 17 of proc(5) (cutime, cstime); `fields` starts at field 3.
    return (Number(fields[13]) + Number(fields[14])) / clockTicks();
  } catch {
    return null;
  }
}

/**
 * Runs lint once; returns wall and CPU seconds and the parsed report. Throws when the command
 * fails or reports anything other than ok with the expected number of policies.
 */
export function coldLint(root, dir, expectedPolicies) {
  const cpuBefore = childrenCpuSeconds();
  const start = process.hrtime.bigint();
  const child = spawnSync(process.execPath, [join(root, 'dist/engine/cli/main.js'), 'lint', dir, '--format', 'json'], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  const wallSeconds = Number(process.hrtime.bigint() - start) / 1e9;
  const cpuAfter = childrenCpuSeconds();
  let report;
  try {
    report = JSON.parse(child.stdout);
  } catch {
    throw new Error(`lint ${dir}: exit ${child.status}, output is not JSON: ${(child.stdout || child.stderr).slice(0, 500)}`);
  }
  if (report.ok !== true || (expectedPolicies !== null && report.policies !== expectedPolicies)) {
    throw new Error(`lint ${dir}: ok=${report.ok}, ${report.policies} policies (expected ${expectedPolicies}), first problems: ${JSON.stringify(report.problems?.slice(0, 3))}`);
  }
  return { wallSeconds, cpuSeconds: cpuBefore === null || cpuAfter === null ? null : cpuAfter - cpuBefore, report };
}
