#!/usr/bin/env node
/**
 * The homeostat command. engine/cli/ owns argument parsing, output formats and exit codes;
 * it must not hold policy logic: every command runs the shared pipeline.
 */
import { writeSync } from 'node:fs';
import { run } from './program.js';

/** EX_SOFTWARE (sysexits.h): the process stopped on a bug of its own. */
const EXIT_BUG = 70;

// A promise nobody awaits that rejects, or an exception nothing catches, is a bug: the state
// it leaves is unknown, so the process says so in one JSON line on stderr (the stack inside)
// and exits at once, for its supervisor to restart it and the journal to recover.
function onBug(kind: 'unhandled rejection' | 'uncaught exception') {
  return (error: unknown) => {
    const err = error instanceof Error ? { type: error.name, message: error.message, stack: error.stack } : { message: String(error) };
    try {
      writeSync(2, `${JSON.stringify({ level: 60, time: Date.now(), msg: `homeostat: ${kind}: a bug, please report it`, err })}\n`);
    } finally {
      process.exit(EXIT_BUG);
    }
  };
}
process.on('unhandledRejection', onBug('unhandled rejection'));
process.on('uncaughtException', onBug('uncaught exception'));

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
