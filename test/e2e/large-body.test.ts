/**
 * A large webhook body is parsed off the event loop: against the built `homeostat serve`, a
 * small request sent once the server has read a 32 MiB body (its bytes read, from
 * /proc/PID/io) is answered before that body's 202. On one thread, the body's parse, validation
 * and fingerprints ran to the 202 before the small request was even read.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ECHO_REPO } from '../helpers/echo-policy.js';
import { waitFor, writeRepo } from '../helpers/engine.js';
import { servedForFile } from '../helpers/serve.js';

const TOKEN = 'large-body-token-0123456789abcdef';
const MAX_BODY = 32 * 1024 * 1024;

const served = servedForFile('homeostat-large-body-', (root) => {
  writeRepo(join(root, 'repo'), ECHO_REPO);
  writeFileSync(join(root, 'webhook.token'), TOKEN);
  return { args: ['--policies', join(root, 'repo'), '--webhook-token-file', join(root, 'webhook.token'), '--log-level', 'warn'] };
});

/** A webhook body of small alerts just under the 32 MiB limit, none matching the policy (Echo). */
function bigBody(): Buffer {
  const alerts: string[] = [];
  let size = 512;
  for (let i = 0; size < MAX_BODY - 4096; i++) {
    const alert = JSON.stringify({
      status: 'firing',
      labels: { alertname: 'LargeBody', instance: `node-${i}:9100`, job: 'fleet', severity: 'info' },
      annotations: { summary: `node-${i} is part of a large group` },
      startsAt: '2026-11-21T07:10:19Z',
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: '',
    });
    alerts.push(alert);
    size += alert.length + 1;
  }
  const group = { version: '4', groupKey: '{}:{alertname="LargeBody"}', truncatedAlerts: 0, status: 'firing', receiver: 'homeostat', groupLabels: { alertname: 'LargeBody' }, commonLabels: {}, commonAnnotations: {}, externalURL: '' };
  return Buffer.from(`${JSON.stringify(group).slice(0, -1)},"alerts":[${alerts.join(',')}]}`);
}

/** Bytes the process has read (every thread, sockets included). */
function bytesRead(pid: number): number {
  return Number(/^rchar: (\d+)$/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'))![1]);
}

function send(path: string, body: Buffer | null): Promise<number> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { authorization: `Bearer ${TOKEN}` };
    if (body) Object.assign(headers, { 'content-type': 'application/json', 'content-length': body.length });
    const req = request({ host: '127.0.0.1', port: served.port, path, method: body ? 'POST' : 'GET', headers, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode!));
    });
    req.on('error', reject);
    req.end(body ?? undefined);
  });
}

describe('a 32 MiB webhook body', () => {
  it('does not keep a small request waiting while it is parsed', async () => {
    const body = bigBody();
    const pid = served.engine.child.pid!;
    const before = bytesRead(pid);
    const answered: string[] = [];
    const big = send('/api/v1/alerts', body).then((status) => answered.push(`large ${status}`));
    await waitFor(() => bytesRead(pid) - before >= body.length, 'the server to read the whole body', 60_000);
    await send('/healthz', null).then((status) => answered.push(`small ${status}`));
    await big;
    expect(answered).toEqual(['small 200', 'large 202']);
  }, 120_000);
});
