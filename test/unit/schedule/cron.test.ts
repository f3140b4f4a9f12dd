/** Due times as croner gives them: seconds, macros, time zones, and DST as croner documents it. */
import { describe, expect, it } from 'vitest';
import { cronProblem, cronTimes, dueBetween } from '../../../engine/schedule/cron.js';
import { owedAt } from '../../../engine/schedule/due.js';

const iso = (ms: number[]) => ms.map((t) => new Date(t).toISOString());
const at = (text: string) => Date.parse(text);

describe('cron times', () => {
  it('a fixed-time job in Europe/Berlin: on the spring-forward day 02:30 does not exist and it runs at 03:00 local; on the fall-back day once, at the first 02:30', () => {
    const times = cronTimes('30 2 * * *', 'Europe/Berlin');
    // 2026-03-29: 02:00 CET becomes 03:00 CEST. 2026-10-25: 03:00 CEST becomes 02:00 CET.
    expect(iso(dueBetween(times, at('2026-03-27T12:00:00Z'), at('2026-03-31T00:00:00Z'), 10).due)).toEqual([
      '2026-03-28T01:30:00.000Z', // 02:30 CET
      '2026-03-29T01:00:00.000Z', // 03:00 CEST, right after the gap
      '2026-03-30T00:30:00.000Z', // 02:30 CEST
    ]);
    expect(iso(dueBetween(times, at('2026-10-23T12:00:00Z'), at('2026-10-27T00:00:00Z'), 10).due)).toEqual([
      '2026-10-24T00:30:00.000Z', // 02:30 CEST
      '2026-10-25T00:30:00.000Z', // the first 02:30 (CEST); not again at 02:30 CET
      '2026-10-26T01:30:00.000Z', // 02:30 CET
    ]);
  });

  it('an interval job runs on both passes of the repeated hour and skips the hour that does not exist', () => {
    const times = cronTimes('0 * * * *', 'Europe/Berlin');
    expect(iso(dueBetween(times, at('2026-10-24T23:30:00Z'), at('2026-10-25T02:30:00Z'), 10).due)).toEqual([
      '2026-10-25T00:00:00.000Z', // 02:00 CEST
      '2026-10-25T01:00:00.000Z', // 02:00 CET: the hour again
      '2026-10-25T02:00:00.000Z', // 03:00 CET
    ]);
    expect(iso(dueBetween(times, at('2026-03-28T23:30:00Z'), at('2026-03-29T01:30:00Z'), 10).due)).toEqual([
      '2026-03-29T00:00:00.000Z', // 01:00 CET
      '2026-03-29T01:00:00.000Z', // 03:00 CEST; there was no 02:00
    ]);
  });

  it('reads a seconds field, macros, and time zones; refuses what is not five or six fields', () => {
    expect(iso(dueBetween(cronTimes('*/2 * * * * *', 'UTC'), at('2026-01-01T00:00:00.500Z'), at('2026-01-01T00:00:05Z'), 10).due)).toEqual([
      '2026-01-01T00:00:02.000Z',
      '2026-01-01T00:00:04.000Z',
    ]);
    expect(iso([cronTimes('@hourly', 'UTC').next(at('2026-01-01T10:20:00Z'))!])).toEqual(['2026-01-01T11:00:00.000Z']);
    expect(iso([cronTimes('0 3 * * *', 'America/New_York').next(at('2026-01-01T00:00:00Z'))!])).toEqual(['2026-01-01T08:00:00.000Z']);
    expect(cronProblem('0 3 * * *')).toBeNull();
    expect(cronProblem('@reboot')).toMatch(/five fields/);
    expect(cronProblem('* * * *')).toMatch(/five fields/);
    expect(cronProblem('0 0 3 * * * 2027')).toMatch(/five fields/);
    expect(cronProblem('0 25 * * *')).toMatch(/hour/);
  });
});

describe('what is owed', () => {
  const every2s = cronTimes('*/2 * * * * *', 'UTC');
  const daily = cronTimes('0 3 * * *', 'UTC');

  it('nothing before the next due time; the due time once it has come', () => {
    expect(owedAt(every2s, at('2026-01-01T00:00:02Z'), at('2026-01-01T00:00:03.900Z'), 600_000)).toBeNull();
    expect(owedAt(every2s, at('2026-01-01T00:00:02Z'), at('2026-01-01T00:00:04.010Z'), 600_000)).toEqual({ run: [at('2026-01-01T00:00:04Z')], missed: null, handled: at('2026-01-01T00:00:04Z') });
  });

  it('after a stop: each due time within the deadline runs once, oldest first; older ones are missed', () => {
    expect(owedAt(every2s, at('2026-01-01T00:00:02Z'), at('2026-01-01T00:00:09Z'), 600_000)).toEqual({
      run: [at('2026-01-01T00:00:04Z'), at('2026-01-01T00:00:06Z'), at('2026-01-01T00:00:08Z')], handled: at('2026-01-01T00:00:08Z'), missed: null,
    });
    expect(owedAt(every2s, at('2026-01-01T00:00:02Z'), at('2026-01-01T00:00:09Z'), 3_000)).toEqual({
      run: [at('2026-01-01T00:00:06Z'), at('2026-01-01T00:00:08Z')], handled: at('2026-01-01T00:00:08Z'), missed: { count: 1, more: false, first: at('2026-01-01T00:00:04Z'), last: at('2026-01-01T00:00:04Z') },
    });
  });

  it('after a long stop: at most the newest 100 due times run, the others are counted missed', () => {
    const owed = owedAt(every2s, at('2026-01-01T00:00:00Z'), at('2026-01-01T01:00:00Z'), 3_600_000)!;
    expect(owed.run).toHaveLength(100);
    expect(iso([owed.run[0]!, owed.run.at(-1)!])).toEqual(['2026-01-01T00:56:42.000Z', '2026-01-01T01:00:00.000Z']);
    expect(owed.missed).toEqual({ count: 1700, more: false, first: at('2026-01-01T00:00:02Z'), last: at('2026-01-01T00:56:40Z') });
  });

  it('past the deadline nothing runs: the due time is missed', () => {
    expect(owedAt(daily, at('2026-01-01T03:00:00Z'), at('2026-01-02T03:11:00Z'), 600_000)).toEqual({
      run: [], handled: at('2026-01-02T03:00:00Z'), missed: { count: 1, more: false, first: at('2026-01-02T03:00:00Z'), last: at('2026-01-02T03:00:00Z') },
    });
    expect(owedAt(daily, at('2026-01-01T03:00:00Z'), at('2026-01-02T03:09:00Z'), 600_000)!.run).toEqual([at('2026-01-02T03:00:00Z')]);
  });
});
