/**
 * A real Alertmanager (Debian prometheus-alertmanager) sends a group whose alert has labels
 * named `__proto__`, `constructor` and `prototype` to the built `homeostat serve`: the group is
 * taken (Alertmanager never retries a 4xx, so a 400 would lose it), the policy runs on it, and
 * the audit entry keeps those labels as sent.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/engine.js';
import { PROTOTYPE_LABELS, PROTOTYPE_LINE, prototypeRepo } from '../helpers/prototype-labels.js';
import { alertChain } from '../helpers/serve.js';

const chain = alertChain({ prefix: 'homeostat-am-proto-', token: 'e2e-prototype-token-abcdef0123456789', files: (root) => prototypeRepo(join(root, 'out.txt')) });

describe('Alertmanager → homeostat serve, labels named like prototypes', () => {
  it('takes the group, runs the policy on those labels and audits them as sent', async () => {
    const out = join(chain.root, 'out.txt');
    await chain.postAlerts(`[{"labels":${PROTOTYPE_LABELS},"annotations":{"summary":"e2e"},"startsAt":"${new Date().toISOString()}"}]`);
    await waitFor(() => existsSync(out), `the script to write ${out}\n${chain.engine.output().slice(-3000)}\n${chain.alertmanager.output().slice(-2000)}`, 60_000);
    expect(readFileSync(out, 'utf8')).toBe(PROTOTYPE_LINE);

    const path = await waitFor(() => {
      const log = chain.auditGit('log', '--format=%s', 'main');
      return log.includes('succeeded: prototype-labels/record') ? chain.auditGit('log', '--format=', '--name-only', 'main', '--', 'actions').split('\n').find(Boolean) : undefined;
    }, 'the outcome commit', 60_000);
    const entry = JSON.parse(chain.auditGit('show', `main:${path}`)) as { alert: { labels: Record<string, string> } };
    expect(Object.entries(entry.alert.labels).sort()).toEqual(Object.entries(JSON.parse(PROTOTYPE_LABELS) as Record<string, string>).sort());
    expect(chain.engine.output()).not.toMatch(/"statusCode":400|request refused/);
  }, 90_000);
});
