import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisLease } from '../../engine/state/redis-lease.js';
import { LeaseLostError, RedisLog } from '../../engine/state/redis-log.js';
import { redisClients, startRedis } from '../helpers/redis.js';
import type { TestRedis } from '../helpers/redis.js';

let server: TestRedis;
const clients = redisClients(() => server.url);
const client = () => clients.client();


/** A replica's view: its lease on the decision key and its reading of the log. */
async function replica(name: string, log: string) {
  const redis = await client();
  const lease = new RedisLease({ redis, key: `${log}:decide`, owner: name, ttlMs: 60_000 });
  const seen: string[] = [];
  const shared = new RedisLog(redis, log);
  return {
    lease,
    log: shared,
    seen,
    /** Takes the lease, reads what others wrote, appends, gives the lease back: one decision. */
    async decide(records: string[]): Promise<void> {
      if ((await lease.acquire()) === null) throw new Error(`${name}: the lease is held`);
      await shared.catchUp((record) => seen.push(record));
      await shared.append({ key: `${log}:decide`, value: lease.held() }, records);
      seen.push(...records);
      await lease.release();
    },
  };
}

beforeAll(async () => {
  server = await startRedis();
});

afterAll(async () => {
  clients.close();
  await server?.stop();
});

describe('RedisLog (a real redis-server)', () => {
  it('gives every replica every record in one order, each reading what the others wrote before it decides', async () => {
    const a = await replica('a', 'test:log:1');
    const b = await replica('b', 'test:log:1');
    await a.decide(['a1', 'a2']);
    await b.decide(['b1']);
    await a.decide(['a3']);
    await b.decide([]);
    expect(a.seen).toEqual(['a1', 'a2', 'b1', 'a3']);
    expect(b.seen).toEqual(['a1', 'a2', 'b1', 'a3']);
  });

  it('writes nothing for a writer that no longer holds the lease', async () => {
    const a = await replica('a', 'test:log:2');
    const b = await replica('b', 'test:log:2');
    await a.lease.acquire();
    const stale = { key: 'test:log:2:decide', value: a.lease.held() };
    await a.lease.release(); // as if it had expired while a was paused
    await b.decide(['b1']);
    await expect(a.log.append(stale, ['a-late'])).rejects.toThrow(LeaseLostError);
    const reader = await replica('c', 'test:log:2');
    await reader.log.catchUp((record) => reader.seen.push(record));
    expect(reader.seen).toEqual(['b1']);
  });

  it('reads a long log in batches, and a trimmed log from the snapshot position on', async () => {
    const a = await replica('a', 'test:log:3');
    const records = Array.from({ length: 2500 }, (_, i) => JSON.stringify({ i }));
    await a.decide(records.slice(0, 1200));
    const middle = a.log.position;
    await a.decide(records.slice(1200));
    const late = await replica('late', 'test:log:3');
    expect(await late.log.catchUp((record) => late.seen.push(record), 1000)).toBe(2500);
    expect(late.seen).toEqual(records);

    await a.log.trim(middle);
    const fromSnapshot = await replica('snap', 'test:log:3');
    fromSnapshot.log.resumeAfter(middle);
    await fromSnapshot.log.catchUp((record) => fromSnapshot.seen.push(record));
    expect(fromSnapshot.seen).toEqual(records.slice(1200));
    expect(await a.log.catchUp(() => undefined)).toBe(0);
    const redis = await client();
    expect(await redis.xlen('test:log:3')).toBe(1300);
  });
});
