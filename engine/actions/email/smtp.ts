/**
 * Sends one message over SMTP with nodemailer. nodemailer connects by itself, so the host is
 * resolved and judged first (engine/http's address check) and nodemailer is given the address
 * that was judged, with the name for TLS: there is no second lookup to rebind. Connection
 * errors and transient (4xx) answers are tried again within the timeout; a permanent (5xx)
 * answer fails at once.
 */
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTransport } from 'nodemailer';
import { redact } from '../../exec/redact.js';
import { resolveChecked, systemResolver } from '../../http/client.js';
import type { Resolver } from '../../http/client.js';
import { backoffMs } from '../../http/retry.js';
import type { Message } from './message.js';

export interface SmtpServer {
  host: string;
  port: number;
  security: 'starttls' | 'tls' | 'none';
  ca: string | null;
  auth: { user: string; pass: string } | null;
}

export interface SmtpAttempt {
  attempt: number;
  address: string | null;
  response: string | null;
  error: string | null;
}

export interface SmtpOutcome {
  ok: boolean;
  timedOut: boolean;
  aborted: boolean;
  /** The server's last answer ('250 OK: queued as …'), or why there was none. */
  line: string;
  attempts: SmtpAttempt[];
}

interface SmtpError extends Error {
  code?: string;
  responseCode?: number;
  response?: string;
}

export const DEFAULT_PORTS = { starttls: 587, tls: 465, none: 25 } as const;

export async function sendMail(
  server: SmtpServer, message: Message,
  options: { timeoutMs: number; allowHosts: readonly string[]; signal: AbortSignal; secrets: readonly string[]; resolve?: Resolver },
): Promise<SmtpOutcome> {
  const deadline = Date.now() + options.timeoutMs;
  const attempts: SmtpAttempt[] = [];
  const mask = (text: string) => redact(text, options.secrets);
  for (let attempt = 1; ; attempt++) {
    const left = deadline - Date.now();
    if (options.signal.aborted) return { ok: false, timedOut: false, aborted: true, line: 'aborted', attempts };
    let address: string | null = null;
    try {
      ({ address } = await resolveChecked(server.host, options.allowHosts, options.resolve ?? systemResolver));
      const info = await once(server, address, message, left, options.signal);
      attempts.push({ attempt, address, response: mask(info), error: null });
      return { ok: true, timedOut: false, aborted: false, line: mask(info), attempts };
    } catch (error) {
      const e = error as SmtpError;
      const line = mask(e.response ?? `${e.message}${e.code ? ` (${e.code})` : ''}`);
      attempts.push({ attempt, address, response: null, error: line });
      const refused = (e as { failure?: string }).failure === 'refused';
      const transient = !refused && (e.responseCode === undefined ? e.code !== 'EAUTH' && e.code !== 'EENVELOPE' : e.responseCode >= 400 && e.responseCode < 500);
      const pause = backoffMs(attempt);
      const timedOut = Date.now() >= deadline;
      if (!transient || timedOut || options.signal.aborted || Date.now() + pause >= deadline) {
        return { ok: false, timedOut: timedOut && transient, aborted: options.signal.aborted, line, attempts };
      }
      await sleep(pause, undefined, { signal: options.signal }).catch(() => undefined);
    }
  }
}

async function once(server: SmtpServer, address: string, message: Message, timeoutMs: number, signal: AbortSignal): Promise<string> {
  const transport = createTransport({
    host: address,
    port: server.port,
    // The name the URL gave: what TLS checks the certificate against, and SNI.
    servername: server.host,
    secure: server.security === 'tls',
    requireTLS: server.security === 'starttls',
    ignoreTLS: server.security === 'none',
    tls: { servername: server.host, ...(server.ca ? { ca: readFileSync(server.ca, 'utf8') } : {}) },
    auth: server.auth ?? undefined,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
    disableFileAccess: true,
    disableUrlAccess: true,
  } as Parameters<typeof createTransport>[0]);
  const stop = () => transport.close();
  signal.addEventListener('abort', stop, { once: true });
  const timer = setTimeout(stop, timeoutMs);
  try {
    const info = (await transport.sendMail({ from: message.from, to: message.to, subject: message.subject, text: message.text })) as { response?: string };
    return info.response ?? 'sent';
  } finally {
    clearTimeout(timer);
    signal.removeEventListener('abort', stop);
    transport.close();
  }
}
