/**
 * How far the V8 heap may grow past what the last full collection left alive. By default V8
 * lets a busy heap grow to up to four times its live size before collecting it in full: under a
 * webhook storm with 10,000 policies the engine's live heap stayed near 120 MB while its RSS
 * passed 480 MB. The engine runs for months beside other services; memory it holds but does
 * not use is taken from them. Bounding the growth to 20% cost 15–20% of the peak throughput
 * at saturation (bench/webhook.mjs, RSS phase; still twice the rate the engine must sustain)
 * and took the peak RSS at saturation from about 480 MB to about 320-400 MB.
 *
 * V8 reads the flag at each full collection, so it takes effect when set after start-up.
 */
import { setFlagsFromString } from 'node:v8';

export const HEAP_GROWING_PERCENT = 20;

export function boundHeapGrowth(percent: number = HEAP_GROWING_PERCENT): void {
  setFlagsFromString(`--heap-growing-percent=${percent}`);
}
