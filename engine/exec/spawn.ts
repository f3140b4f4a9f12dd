/** How every child starts: the one call to execa, shared by runCommand and Session. */
import { execa } from 'execa';
import { childEnv } from './env.js';

export interface SpawnRequest {
  file: string;
  args: readonly string[];
  cwd: string;
  env?: Readonly<Record<string, string>>;
}

export function spawnChild(request: SpawnRequest, stdin: 'ignore' | 'pipe', options: { cleanup: boolean }) {
  return execa(request.file, request.args, {
    cwd: request.cwd,
    env: childEnv(request.env),
    extendEnv: false,
    shell: false,
    // Its own process group (and session), so that ending the run reaches all it started.
    detached: true,
    // A session's program is ended with the engine; a run is ended by its own supervision.
    cleanup: options.cleanup,
    reject: false,
    buffer: false,
    encoding: 'buffer',
    stripFinalNewline: false,
    // NODE_DEBUG=execa would otherwise print commands and output, secrets unmasked.
    verbose: 'none',
    stdout: 'pipe',
    stderr: 'pipe',
    stdin,
  });
}
