/**
 * The login form and logout. A token typed into the form (the admin or the viewer token) opens
 * a session; the form itself carries a one-time value that must match a signed cookie set with
 * it (so that no other site can log a browser in under its own token), and failed attempts are
 * limited by address and overall.
 */
import { html } from './html.js';
import type { Html } from './html.js';

export interface LoginForm {
  /** The value of the login cookie, repeated in the form. */
  nonce: string;
  error?: string;
  /** Neither the admin nor the viewer token is set: nobody can log in. */
  noToken?: boolean;
}

export function loginPage(form: LoginForm): Html {
  if (form.noToken) {
    return html`<div class="login"><h1>Log in</h1>
<p class="message error" role="alert">This engine has no admin or viewer token, so nobody can log in to its page. Start <code>homeostat serve</code> with <code>--admin-token-file FILE</code> (or <code>HOMEOSTAT_ADMIN_TOKEN</code>), and, for a read-only page, <code>--viewer-token-file FILE</code>.</p></div>`;
  }
  return html`<div class="login"><h1>Log in</h1>
<p>Give the engine's admin token, or its viewer token for a read-only page.</p>
${form.error ? html`<p class="message error" role="alert" id="login-error">${form.error}</p>` : ''}
<form method="post" action="/login">
<input type="hidden" name="_csrf" value="${form.nonce}">
<label for="token">Token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required autofocus spellcheck="false"${form.error ? html` aria-describedby="login-error" aria-invalid="true"` : ''}>
<p><button type="submit">Log in</button></p>
</form></div>`;
}
