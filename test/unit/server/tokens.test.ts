import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { currentToken, watchTokens } from '../../../engine/server/tokens.js';
import type { ServerTokens } from '../../../engine/server/tokens.js';
import { capturedLog } from '../../helpers/log-lines.js';
import { waitFor } from '../../helpers/wait.js';

const OLD = 'old-token-0123456789abcdef';
const NEW = 'new-token-0123456789abcdef';

let dir: string;
let tokens: ServerTokens | undefined;
let lines: Record<string, unknown>[];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'homeostat-tokens-'));
});

afterEach(() => {
  tokens?.close();
  tokens = undefined;
  rmSync(dir, { recursive: true, force: true });
});

function watchWebhook(file: string) {
  const captured = capturedLog();
  lines = captured.lines;
  tokens = watchTokens({ webhook: OLD, admin: 'admin-from-environment-0123', sync: null, viewer: null }, { webhook: file, admin: null, sync: null, viewer: null }, captured.log);
  return tokens;
}

describe('watchTokens', () => {
  it('takes a token file rewritten in place: the new token in force, the old one no longer', async () => {
    const file = join(dir, 'webhook.token');
    writeFileSync(file, OLD);
    const t = watchWebhook(file);
    expect(currentToken(t.webhook)).toBe(OLD);
    writeFileSync(file, `${NEW}\n`);
    await waitFor(() => currentToken(t.webhook) === NEW, 'the new token');
    expect(lines.map((l) => [l.msg, l.token, l.file])).toEqual([['token file changed: the new token is in force and the previous one refused', 'webhook', file]]);
    expect(JSON.stringify(lines)).not.toContain(NEW.slice(0, 9));
  });

  it('takes a token file replaced by rename, and a Kubernetes-style swap of the link it goes through', async () => {
    const file = join(dir, 'webhook.token');
    writeFileSync(file, OLD);
    const t = watchWebhook(file);
    writeFileSync(join(dir, '.webhook.token.tmp'), NEW);
    renameSync(join(dir, '.webhook.token.tmp'), file);
    await waitFor(() => currentToken(t.webhook) === NEW, 'the renamed token');

    // A Secret volume: token -> ..data/token, and ..data -> a new folder on each update.
    const secret = join(dir, 'secret');
    mkdirSync(join(secret, 'v1'), { recursive: true });
    mkdirSync(join(secret, 'v2'));
    writeFileSync(join(secret, 'v1', 'token'), OLD);
    writeFileSync(join(secret, 'v2', 'token'), NEW);
    symlinkSync('v1', join(secret, '..data'));
    symlinkSync('..data/token', join(secret, 'token'));
    tokens!.close();
    const k = watchWebhook(join(secret, 'token'));
    symlinkSync('v2', join(secret, '..data_tmp'));
    renameSync(join(secret, '..data_tmp'), join(secret, '..data'));
    await waitFor(() => currentToken(k.webhook) === NEW, 'the token behind the swapped link');
  });

  it('refuses every token while the file is unreadable or too short, says so once, and takes the mended file', async () => {
    const file = join(dir, 'webhook.token');
    writeFileSync(file, OLD);
    const t = watchWebhook(file);
    writeFileSync(file, 'short');
    await waitFor(() => lines.length > 0, 'the complaint');
    t.reload('SIGHUP');
    expect([OLD, 'short', null]).not.toContain(currentToken(t.webhook));
    rmSync(file);
    t.reload('SIGHUP');
    expect([OLD, 'short', null]).not.toContain(currentToken(t.webhook));
    expect(lines.filter((l) => l.level === 50).map((l) => [l.msg, l.problem])).toEqual([
      ['token file unusable: every request needing this token is refused until it is mended', `the webhook token file ${file}: the token is shorter than 16 characters; use a long random one (openssl rand -hex 32)`],
      ['token file unusable: every request needing this token is refused until it is mended', `the webhook token file ${file}: cannot read the token file (ENOENT)`],
    ]);
    writeFileSync(file, NEW);
    t.reload('SIGHUP');
    expect(currentToken(t.webhook)).toBe(NEW);
  });

  it('reads the files again when asked (SIGHUP), and keeps every token it has held for redaction', () => {
    // The file is reached through a link whose target is in a folder nobody watches.
    const elsewhere = join(dir, 'elsewhere');
    mkdirSync(elsewhere);
    writeFileSync(join(elsewhere, 'real.token'), OLD);
    mkdirSync(join(dir, 'tokens'));
    symlinkSync(join(elsewhere, 'real.token'), join(dir, 'tokens', 'webhook.token'));
    const t = watchWebhook(join(dir, 'tokens', 'webhook.token'));
    writeFileSync(join(elsewhere, 'real.token'), NEW);
    t.reload('SIGHUP');
    expect(currentToken(t.webhook)).toBe(NEW);
    expect(lines.map((l) => [l.msg, l.reason])).toEqual([
      ['token file changed: the new token is in force and the previous one refused', 'SIGHUP'],
      ['token files read again', 'SIGHUP'],
    ]);
    expect(currentToken(t.admin)).toBe('admin-from-environment-0123');
    expect(currentToken(t.sync)).toBeNull();
    expect([...t.secrets()].sort()).toEqual(['admin-from-environment-0123', NEW, OLD].sort());
  });
});
