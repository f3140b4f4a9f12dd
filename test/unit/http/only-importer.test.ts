import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sources(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

describe('outbound HTTP', () => {
  it("goes through engine/http alone (engine/kube for the cluster's API): nothing else imports undici or calls fetch", () => {
    const root = join(import.meta.dirname, '../../..');
    const offenders = sources(join(root, 'engine'))
      // engine/kube is the one Kubernetes client: its requests go to the cluster's API server
      // named by the kubeconfig or the service account, never to a URL from a policy or label.
      .filter((file) => !relative(root, file).startsWith('engine/http/') && !relative(root, file).startsWith('engine/kube/'))
      .filter((file) => /^import (?!type ).*from ['"](undici|node:https?)['"]|(?<![.\w])(?<!async )fetch\(/m.test(readFileSync(file, 'utf8')))
      .map((file) => relative(root, file));
    expect(offenders).toEqual([]);
  });
});
