// The bundled rules/ are the examples and the engine's default: they lint clean and every
// case of rules/*.test.yaml passes, through the same entry point as the `homeostat` command.
import { describe, expect, it } from 'vitest';
import { run } from '../../engine/cli/program.js';

const root = new URL('../..', import.meta.url).pathname;

async function cli(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await run(argv, { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), cwd: root });
  return { code, stdout, stderr };
}

describe('bundled rules/', () => {
  it('lint rules/ exits 0 with no error', async () => {
    const { code, stdout } = await cli('lint', 'rules/', '--format', 'json');
    const report = JSON.parse(stdout) as { ok: boolean; policies: number; problems: { code: string; severity: string }[] };
    // The kubernetes actions lint, with the warning that they are not executed yet.
    expect(report.problems.filter((p) => p.severity === 'error')).toEqual([]);
    expect(new Set(report.problems.map((p) => p.code))).toEqual(new Set(['HST_ACTION_NOT_EXECUTED']));
    expect({ code, ok: report.ok, policies: report.policies }).toEqual({ code: 0, ok: true, policies: 12 });
  });

  it('test rules/ passes every case', async () => {
    const { code, stdout } = await cli('test', 'rules/', '--format', 'json');
    const report = JSON.parse(stdout);
    expect(report.cases.filter((c: { passed: boolean }) => !c.passed)).toEqual([]);
    expect(report.passed).toBeGreaterThanOrEqual(23);
    expect(code).toBe(0);
  });
});
