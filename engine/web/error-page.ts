/** A refusal or failure as a page: its status, one line saying why, a way back. */
import type { FastifyReply } from 'fastify';
import type { Assets } from './assets.js';
import { html } from './html.js';
import { page } from './layout.js';

export function errorPage(reply: FastifyReply, assets: Assets, status: number, message: string) {
  const body = html`<h1>${status === 403 ? 'Refused' : status === 404 ? 'Not found' : 'Not done'}</h1>
<p class="message error" role="alert">${message}</p>
<p><a href="/">Back to the overview</a></p>`;
  return reply.code(status).type('text/html; charset=utf-8').send(page(`${status}: homeostat`, assets, body).text);
}
