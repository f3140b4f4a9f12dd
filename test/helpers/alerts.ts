/**
 * Alerts for tests: the real Alertmanager payloads under test/fixtures/alertmanager/, and
 * inline alerts turned into a payload the way `homeostat test` does.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { payloadFromInline, splitPayload } from '../../engine/alerts/payload.js';
import type { Alert, SplitPayload } from '../../engine/alerts/payload.js';
import type { InlineAlert } from '../../engine/generated/schema-types.js';
import { packageRoot } from '../../engine/util/package-root.js';

export const FIXTURE_DIR = join(packageRoot(), 'test', 'fixtures', 'alertmanager');

/** Every captured payload file, sorted. */
export function fixtureNames(): string[] {
  return readdirSync(FIXTURE_DIR).filter((f) => f.endsWith('.json')).sort();
}

/** A fixture as Alertmanager sent it (parsed JSON). */
export function fixtureBody(name: string): unknown {
  return JSON.parse(readFileSync(join(FIXTURE_DIR, name), 'utf8'));
}

/** A fixture validated and split; throws on a payload that does not validate. */
export function fixturePayload(name: string): SplitPayload {
  return split(fixtureBody(name));
}

export function split(body: unknown): SplitPayload {
  const result = splitPayload(body);
  if (!result.ok) throw new Error(`payload does not validate: ${JSON.stringify(result.problems)}`);
  return result.payload;
}

export const START = '2026-11-21T07:00:00Z';

/** Inline alerts (labels, status, startsAt…) as one split payload. */
export function inlinePayload(alerts: readonly InlineAlert[], startsAt = START): SplitPayload {
  return split(payloadFromInline(alerts, startsAt));
}

/** One inline alert, split. */
export function inlineAlert(alert: InlineAlert, startsAt = START): Alert {
  return inlinePayload([alert], startsAt).alerts[0]!;
}
