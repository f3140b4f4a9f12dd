/**
 * When simulate and diff decide each payload: its own time (a timeline's `at`, else its alerts'
 * newest startsAt or resolved endsAt), the sequence moved to --now, or the files placed by --at
 * or --every; the clock never runs back.
 */
import { describe, expect, it } from 'vitest';
import { sentTime, timeFiles } from '../../../engine/alerts/timing.js';
import type { TimedPayload } from '../../../engine/alerts/timeline.js';
import { fixturePayload, inlinePayload } from '../../helpers/alerts.js';

const T = (hhmm: string) => Date.parse(`2026-11-21T${hhmm}:00Z`);
const iso = (ms: number) => new Date(ms).toISOString().slice(11, 16);
/** A one-alert payload that started at `hhmm`. */
const firing = (hhmm: string): TimedPayload => ({ payload: inlinePayload([{ labels: { alertname: 'A' }, startsAt: `2026-11-21T${hhmm}:00Z` }]) });
const times = (files: TimedPayload[][], options: Parameters<typeof timeFiles>[1]) => timeFiles(files, options).map((p) => iso(p.at));
const FALLBACK = { fallback: T('23:59') };

describe("a payload's own time", () => {
  it('is the newest startsAt of its firing alerts', () => {
    expect(sentTime(fixturePayload('node-down-two-instances.json'))).toBe(Date.parse('2026-11-21T07:08:15.667Z'));
  });

  it('counts the endsAt of a resolved alert (and not the zero time of a firing one)', () => {
    // eth0 resolved at 07:10:50, eth1 still firing since 07:10:48 (endsAt 0001-01-01).
    expect(sentTime(fixturePayload('net-device-down-one-resolved.json'))).toBe(Date.parse('2026-11-21T07:10:50Z'));
    expect(sentTime(fixturePayload('kube-pod-crashlooping-resolved.json'))).toBe(Date.parse('2026-11-21T07:08:35.75409752Z'));
  });
});

describe('timeFiles', () => {
  const files = [[firing('09:00')], [firing('09:20')], [firing('09:45')]];

  it('keeps each payload at its own time by default', () => {
    expect(times(files, FALLBACK)).toEqual(['09:00', '09:20', '09:45']);
  });

  it('with --now, moves the sequence: the first payload at --now, the others at their distance', () => {
    expect(times(files, { ...FALLBACK, now: T('12:00') })).toEqual(['12:00', '12:20', '12:45']);
  });

  it('with --every, places the files that far apart from --now, or from the first payload', () => {
    expect(times(files, { ...FALLBACK, everyMs: 5 * 60_000 })).toEqual(['09:00', '09:05', '09:10']);
    expect(times(files, { ...FALLBACK, now: T('12:00'), everyMs: 30 * 60_000 })).toEqual(['12:00', '12:30', '13:00']);
  });

  it('with --at, places each file at its instant, or that long after the file before', () => {
    expect(times(files, { ...FALLBACK, at: [{ at: T('10:00') }, { afterMs: 5 * 60_000 }, { at: T('11:00') }] })).toEqual(['10:00', '10:05', '11:00']);
    // A leading +D counts from --now.
    expect(times(files, { ...FALLBACK, now: T('12:00'), at: [{ afterMs: 60_000 }, { afterMs: 60_000 }, { afterMs: 60_000 }] })).toEqual(['12:01', '12:02', '12:03']);
  });

  it('moves a timeline file placed by --at or --every with its spacing', () => {
    const timeline: TimedPayload[] = [{ ...firing('01:00'), at: T('01:00') }, { ...firing('01:00'), at: T('01:30') }];
    expect(times([[firing('09:00')], timeline], { ...FALLBACK, everyMs: 10 * 60_000 })).toEqual(['09:00', '09:10', '09:40']);
  });

  it("reads a timeline's `at` before its alerts' times", () => {
    expect(times([[{ ...firing('09:00'), at: T('10:00') }]], FALLBACK)).toEqual(['10:00']);
  });

  it('never runs the clock back: an older payload after a newer one is decided at the newer time', () => {
    expect(times([[firing('09:30')], [firing('09:00')], [firing('09:40')]], FALLBACK)).toEqual(['09:30', '09:30', '09:40']);
    expect(times(files, { ...FALLBACK, at: [{ at: T('10:00') }, { at: T('09:00') }, { afterMs: 0 }] })).toEqual(['10:00', '10:00', '10:00']);
  });

  it('takes --now, else the fallback, when no payload has a time of its own', () => {
    const timeless: TimedPayload = { payload: { ...firing('09:00').payload, alerts: [] } };
    expect(times([[timeless]], FALLBACK)).toEqual(['23:59']);
    expect(times([[timeless]], { ...FALLBACK, now: T('08:00') })).toEqual(['08:00']);
    // A payload without a time between two with one takes the time before it.
    expect(times([[firing('09:00')], [timeless], [firing('09:10')]], FALLBACK)).toEqual(['09:00', '09:00', '09:10']);
  });
});
