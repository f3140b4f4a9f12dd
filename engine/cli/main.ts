#!/usr/bin/env node
/**
 * The homeostat command. engine/cli/ owns argument parsing, output formats and exit codes;
 * it must not hold policy logic: every command runs the shared pipeline.
 */
import { run } from './program.js';

// A reader that stops early (`| head`) is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

const code = await run(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  cwd: process.cwd(),
});
process.exitCode = code;
