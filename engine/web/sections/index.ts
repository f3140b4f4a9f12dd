/**
 * The page's sections, in the order they show. Each is one file: what it renders and, if it
 * has buttons, their routes. The approvals (approve or deny, with a reason) go right after the
 * engine's state, and the kill switch and storm breaker beside it, once the engine has them.
 * A section body is fetched again every few seconds: a field someone types into (a reason)
 * needs a stable id and hx-preserve, or the refresh would wipe what was typed.
 */
import type { Section } from '../view.js';
import { actionsSection } from './actions.js';
import { refusalsSection } from './refusals.js';
import { schedulesSection } from './schedules.js';
import { statusSection } from './status.js';

export const SECTIONS: readonly Section[] = [statusSection, actionsSection, schedulesSection, refusalsSection];
