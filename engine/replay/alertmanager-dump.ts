/**
 * An Alertmanager `GET /api/v2/alerts` answer, saved to a file, as alert events: each alert
 * fires at its startsAt, and is resolved at its endsAt when that is before the dump was
 * taken (the latest updatedAt in it). Alertmanager keeps resolved alerts only briefly, so a
 * dump says what is going on now, where a Prometheus replay says what went on.
 */
import { fingerprint } from '../alerts/fingerprint.js';
import type { AlertEvent } from './episodes.js';

export class DumpError extends Error {}

interface DumpAlert {
  labels: Record<string, string>;
  startsAt: string;
  endsAt?: string;
  updatedAt?: string;
}

function time(value: unknown, where: string): number {
  const ms = typeof value === 'string' ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms)) throw new DumpError(`${where}: ${JSON.stringify(value ?? null)} is not a time`);
  return ms;
}

function checked(item: unknown, i: number): DumpAlert {
  const a = item as Partial<DumpAlert> | null;
  const labels = a?.labels;
  if (typeof labels !== 'object' || labels === null || Array.isArray(labels) || !Object.values(labels).every((v) => typeof v === 'string')) {
    throw new DumpError(`[${i}].labels: not a map of label names to strings`);
  }
  return a as DumpAlert;
}

/** The events of a dump's JSON, in time order; DumpError names the alert at fault. */
export function dumpEvents(body: unknown): AlertEvent[] {
  if (!Array.isArray(body)) throw new DumpError('not a JSON array of alerts; save the answer of GET /api/v2/alerts');
  const alerts = body.map(checked);
  const takenAt = Math.max(...alerts.map((a, i) => (a.updatedAt === undefined ? -Infinity : time(a.updatedAt, `[${i}].updatedAt`))));
  const events: AlertEvent[] = [];
  alerts.forEach((a, i) => {
    const labels = { ...a.labels };
    const fp = fingerprint(labels);
    const startsAt = time(a.startsAt, `[${i}].startsAt`);
    const endsAt = a.endsAt === undefined ? null : time(a.endsAt, `[${i}].endsAt`);
    const resolved = endsAt !== null && endsAt > startsAt && endsAt <= takenAt;
    events.push({ at: startsAt, status: 'firing', labels, fingerprint: fp, startsAt, endsAt: null });
    if (resolved) events.push({ at: endsAt, status: 'resolved', labels, fingerprint: fp, startsAt, endsAt });
  });
  return events.sort((x, y) => x.at - y.at);
}
