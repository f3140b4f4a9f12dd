/**
 * How far the V8 heap may grow past what the last full collection left alive. By default V8
 * lets a busy heap grow to up to four times its live size before collecting it in full. The
 * engine runs for months beside other services, and memory it holds but does not use is taken
 * from them. Measured with 10,000 policies (bench/webhook.mjs, RSS phase), peak RSS at
 * 10,000 alerts/s / at saturation: 268 / 416 MB unbounded; 199 / 332 MB at 50%. A tighter
 * bound saved little more (20%: about 230 / 300 MB before the policy watcher was lightened)
 * and made full collections frequent enough to show in the webhook's p99 at 10,000 alerts/s.
 *
 * V8 reads the flag at each full collection, so it takes effect when set after start-up.
 */
import { setFlagsFromString } from 'node:v8';

export const HEAP_GROWING_PERCENT = 50;

export function boundHeapGrowth(percent: number = HEAP_GROWING_PERCENT): void {
  setFlagsFromString(`--heap-growing-percent=${percent}`);
}
