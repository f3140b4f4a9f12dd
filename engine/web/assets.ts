/**
 * The page's static files, served by the engine itself (no CDN: the page works offline and
 * in an air-gapped cluster): htmx from its npm package, and the page's own script and
 * stylesheet. Each is named by a hash of its content, so it is cached for good and a new
 * version is a new name.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { APP_SCRIPT } from './client/app-script.js';
import { STYLESHEET } from './client/stylesheet.js';

export interface Asset {
  path: string;
  type: string;
  body: Buffer;
}

export interface Assets {
  htmx: Asset;
  script: Asset;
  style: Asset;
  byPath: Map<string, Asset>;
}

function asset(name: string, extension: string, type: string, body: Buffer): Asset {
  const hash = createHash('sha256').update(body).digest('hex').slice(0, 12);
  return { path: `/assets/${name}.${hash}.${extension}`, type, body };
}

export function loadAssets(): Assets {
  const require = createRequire(import.meta.url);
  const htmx = asset('htmx', 'js', 'text/javascript; charset=utf-8', readFileSync(require.resolve('htmx.org/dist/htmx.min.js')));
  const script = asset('app', 'js', 'text/javascript; charset=utf-8', Buffer.from(APP_SCRIPT));
  const style = asset('app', 'css', 'text/css; charset=utf-8', Buffer.from(STYLESHEET));
  return { htmx, script, style, byPath: new Map([htmx, script, style].map((a) => [a.path, a])) };
}
