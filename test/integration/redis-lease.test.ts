import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Leadership } from '../../engine/state/leadership.js';
import { RedisLease } from '../../engine/state/redis-lease.js';
import { redisClients, startRedis } from '../helpers/redis.js';
import type { TestRedis } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';

let server: TestRedis;
const clients = redisClients(() => server.url);
const client = () => clients.client();
const log = pino({ level: 'silent' });


beforeAll(async () => {
  server = await startRedis();
});

afterAll(async () => {
  clients.close();
  await server?.stop();
});

describe('RedisLease (a real redis-server)', () => {
  it('is held by one owner at a time, and its fencing token grows each time it changes hands', async () => {
    const a = new RedisLease({ redis: await client(), key: 'test:lease:1', owner: 'replica-a', ttlMs: 60_000 });
    const b = new RedisLease({ redis: await client(), key: 'test:lease:1', owner: 'replica-b', ttlMs: 60_000 });
    const first = (await a.acquire())!;
    expect(first).toBeGreaterThan(0);
    expect(await b.acquire()).toBeNull();
    expect(await a.acquire()).toBe(first); // its own lease again: the same token
    expect(await a.renew()).toBe(true);
    expect(await b.renew()).toBe(false); // never held it
    await a.release();
    expect(await b.acquire()).toBe(first + 1);
    expect(await a.renew()).toBe(false);
    await a.release(); // not its lease any more: b keeps it
    expect(await b.renew()).toBe(true);
  });

  it('expires when not renewed, and the next holder gets a larger token than the one that lost it', async () => {
    const redis = await client();
    const a = new RedisLease({ redis, key: 'test:lease:2', owner: 'replica-a', ttlMs: 200 });
    const b = new RedisLease({ redis, key: 'test:lease:2', owner: 'replica-b', ttlMs: 200 });
    const lost = (await a.acquire())!;
    const taken = await waitFor(() => b.acquire().then((t) => t ?? undefined), 'the lease to expire and be taken');
    expect(taken).toBeGreaterThan(lost);
    expect(await a.renew()).toBe(false); // a paused holder waking finds it lost
    expect(a.token).toBeNull();
  });

  it('refuses an owner name a lease value cannot hold', async () => {
    const redis = await client();
    expect(() => new RedisLease({ redis, key: 'k', owner: 'two words', ttlMs: 1000 })).toThrow('a lease owner is one word');
  });
});

describe('Leadership (a real redis-server)', () => {
  it('elects one leader; when it stops, another takes over with a larger token', async () => {
    const changes: string[] = [];
    const make = async (owner: string) =>
      new Leadership({ redis: await client(), key: 'test:leader:1', owner, ttlMs: 300, log, onChange: (token) => changes.push(`${owner} ${token}`) });
    const a = await make('a');
    const b = await make('b');
    a.start();
    await waitFor(() => a.token !== null, 'a to lead');
    b.start();
    const leaders = () => [a, b].filter((l) => l.token !== null).length;
    // b tries at least twice (every ttl/3) while a renews: still one leader.
    await waitFor(() => changes.length === 1 && leaders() === 1 && b.token === null && a.token, 'a steady single leader');
    const first = a.token!;
    await a.stop();
    await waitFor(() => b.token !== null, 'b to take over');
    expect(b.token!).toBeGreaterThan(first);
    expect(changes).toEqual([`a ${first}`, 'a null', `b ${b.token}`]);
    await b.stop();
  });

  it('a leader whose Redis goes away steps down; after Redis is back one leads again', async () => {
    const changes: (number | null)[] = [];
    const leader = new Leadership({ redis: await client(), key: 'test:leader:2', owner: 'solo', ttlMs: 300, log, onChange: (token) => changes.push(token) });
    leader.start();
    const before = await waitFor(() => leader.token ?? undefined, 'the leader');
    await server.stop();
    await waitFor(() => leader.token === null, 'the leader to step down while Redis is down');
    expect(changes.at(-1)).toBeNull();
    await server.start();
    const after = await waitFor(() => leader.token ?? undefined, 'leadership again once Redis is back', 30_000);
    // Redis came back empty (no persistence): the token still grew.
    expect(after).toBeGreaterThan(before);
    await leader.stop();
  });
});
