/**
 * From samples of `ALERTS{alertstate="firing"}` to what Alertmanager would have been told: an
 * alert fires at its first sample and is resolved one step after its last. Samples arrive a
 * chunk at a time, in time order; only the alerts active at the end of a chunk are kept, so
 * memory follows the number of alerts firing at once, not the length of the range.
 */
import { fingerprint } from '../alerts/fingerprint.js';

export interface AlertEvent {
  /** When it happened (ms): the first sample, or one step after the last. */
  at: number;
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  fingerprint: string;
  startsAt: number;
  /** The resolution's time; null while firing. */
  endsAt: number | null;
}

/** One series of a chunk: its labels (ALERTS' own removed) and the times (ms) it was present, ascending. */
export interface ChunkSeries {
  labels: Record<string, string>;
  times: readonly number[];
}

interface Active {
  labels: Record<string, string>;
  fingerprint: string;
  startsAt: number;
  lastSeen: number;
}

/** The labels Prometheus adds to ALERTS that the alert itself does not carry. */
const NOT_THE_ALERTS = new Set(['__name__', 'alertstate']);

export function alertLabels(metric: Record<string, string>): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const [name, value] of Object.entries(metric)) if (!NOT_THE_ALERTS.has(name)) labels[name] = value;
  return labels;
}

export class EpisodeTracker {
  private active = new Map<string, Active>();

  constructor(private readonly stepMs: number) {}

  /** How many alerts are firing at the end of the chunks read so far. */
  get firing(): number {
    return this.active.size;
  }

  /**
   * The events of one chunk, the evaluations from `start` to `end` (ms, inclusive, one step
   * apart), in time order. Every event of a chunk is later than every event of the chunk before.
   */
  chunk(series: readonly ChunkSeries[], end: number): AlertEvent[] {
    const events: AlertEvent[] = [];
    for (const s of series) {
      if (s.times.length === 0) continue;
      const fp = fingerprint(s.labels);
      let alert = this.active.get(fp);
      for (const t of s.times) {
        if (alert && t - alert.lastSeen > this.stepMs) {
          events.push(this.resolve(alert));
          alert = undefined;
        }
        if (!alert) {
          alert = { labels: s.labels, fingerprint: fp, startsAt: t, lastSeen: t };
          events.push({ at: t, status: 'firing', labels: s.labels, fingerprint: fp, startsAt: t, endsAt: null });
        }
        alert.lastSeen = t;
      }
      this.active.set(fp, alert!);
    }
    // An alert not present at the chunk's last evaluation has ended (one absent from the whole chunk too).
    for (const [fp, alert] of this.active) {
      if (alert.lastSeen < end) {
        events.push(this.resolve(alert));
        this.active.delete(fp);
      }
    }
    return events.sort((a, b) => a.at - b.at);
  }

  private resolve(alert: Active): AlertEvent {
    const endsAt = alert.lastSeen + this.stepMs;
    return { at: endsAt, status: 'resolved', labels: alert.labels, fingerprint: alert.fingerprint, startsAt: alert.startsAt, endsAt };
  }
}
