/** `homeostat runs`: a page cursor or a time it cannot read is refused before the engine is asked. */
import { describe, expect, it } from 'vitest';
import { run } from '../../../engine/cli/program.js';

async function cli(...args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await run(args, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), cwd: process.cwd() });
  return { code, stdout, stderr };
}

describe('homeostat runs', () => {
  it('refuses a --before that is not a run id and a --since that is not a time, naming the fix', async () => {
    expect(await cli('runs', '--before', 'yesterday', '--url', 'http://127.0.0.1:9')).toEqual({
      code: 2, stdout: '', stderr: expect.stringMatching(/^homeostat: --before yesterday: not a run id; give the one the previous page ended with \(they read like 20261121T101500123Z-1a2b3c4d\)\n$/),
    });
    expect(await cli('runs', '--since', 'soon', '--url', 'http://127.0.0.1:9')).toMatchObject({ code: 2, stderr: expect.stringMatching(/--since soon: not a date/) });
  });
});
