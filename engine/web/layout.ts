/**
 * The page's frame: head (the engine's own stylesheet and scripts, htmx configured by a meta
 * tag so that it needs neither eval nor inline style), a header with who is logged in and the
 * logout button, and the main content.
 */
import type { Assets } from './assets.js';
import { html } from './html.js';
import type { Html } from './html.js';
import type { Session } from './sessions.js';

/** htmx without eval (no hx-on, no filters), without its injected <style>, to this engine only. */
const HTMX_CONFIG = JSON.stringify({
  includeIndicatorStyles: false,
  allowEval: false,
  allowScriptTags: false,
  selfRequestsOnly: true,
  historyCacheSize: 0,
  refreshOnHistoryMiss: true,
  // A refusal (403 for a viewer, 404 for a schedule gone) is shown where the answer goes, like a success.
  responseHandling: [
    { code: '204', swap: false },
    { code: '[234]..', swap: true },
    { code: '...', swap: false, error: true },
  ],
});

export function page(title: string, assets: Assets, body: Html, session: Session | null = null): Html {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="htmx-config" content="${HTMX_CONFIG}">
<meta name="referrer" content="same-origin">
<title>${title}</title>
<link rel="stylesheet" href="${assets.style.path}">
<script src="${assets.htmx.path}" defer></script>
<script src="${assets.script.path}" defer></script>
</head>
<body>
<a class="skip" href="#main">Skip to the content</a>
<header class="top">
<a class="brand" href="/">homeostat</a>
${session ? html`<span>Logged in as <strong>${session.name}</strong>${session.role === 'viewer' ? ' (read only)' : session.name === 'admin' ? '' : ' (admin)'}; times in <span data-time-zone>UTC</span></span>
<form method="post" action="/logout" class="inline"><input type="hidden" name="_csrf" value="${session.csrf}"><button type="submit" class="secondary">Log out</button></form>` : ''}
</header>
<main id="main">
${body}
</main>
</body>
</html>
`;
}
