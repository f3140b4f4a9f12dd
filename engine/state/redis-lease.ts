/**
 * A lease on a Redis key, held by one owner at a time, with a fencing token: the token grows
 * each time the lease changes hands, so a write made under an old lease (a replica paused
 * past its lease, then waking) can be refused by comparing tokens. One Redis instance, one
 * key: the pattern Redis documents for a single-instance lock (SET NX PX, checked renew and
 * release in Lua), plus the counter that gives the fencing token. The Redlock libraries
 * offer no fencing token, which is what makes a lease safe to write under.
 *
 * The key holds `OWNER TOKEN`; the counter is KEY:fence and never expires. A counter that
 * is not there (a new Redis, or one restarted without persistence) starts at Redis's clock in
 * microseconds, so tokens still grow across a Redis that lost its data.
 */
import type { Redis } from 'ioredis';

const ACQUIRE = `
local held = redis.call('GET', KEYS[1])
if held then
  local owner, token = string.match(held, '^(%S+) (%d+)$')
  if owner == ARGV[1] then
    redis.call('PEXPIRE', KEYS[1], ARGV[2])
    return tonumber(token)
  end
  return false
end
if redis.call('EXISTS', KEYS[2]) == 0 then
  local now = redis.call('TIME')
  redis.call('SET', KEYS[2], tonumber(now[1]) * 1000000 + tonumber(now[2]))
end
local token = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], ARGV[1] .. ' ' .. string.format('%.0f', token), 'PX', ARGV[2])
return token`;

const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

export interface LeaseOptions {
  redis: Redis;
  /** The lease's key, such as `homeostat:leader`. */
  key: string;
  /** This holder's name: no spaces (a replica's id). */
  owner: string;
  ttlMs: number;
}

export class RedisLease {
  /** The fencing token while held, else null. */
  token: number | null = null;

  constructor(private readonly options: LeaseOptions) {
    if (/\s/.test(options.owner) || options.owner === '') throw new Error(`a lease owner is one word: ${JSON.stringify(options.owner)}`);
  }

  /** Takes the lease if it is free (or already this owner's); the fencing token, or null if another holds it. */
  async acquire(): Promise<number | null> {
    const { redis, key, owner, ttlMs } = this.options;
    const token = (await redis.eval(ACQUIRE, 2, key, `${key}:fence`, owner, ttlMs)) as number | null;
    this.token = token;
    return token;
  }

  /** Extends the lease; false when it was lost (expired and taken, or deleted). */
  async renew(): Promise<boolean> {
    if (this.token === null) return false;
    const { redis, key, ttlMs } = this.options;
    const renewed = (await redis.eval(RENEW, 1, key, this.held(), ttlMs)) === 1;
    if (!renewed) this.token = null;
    return renewed;
  }

  /** Gives the lease up, if this owner still holds it. */
  async release(): Promise<void> {
    if (this.token === null) return;
    const value = this.held();
    this.token = null;
    await this.options.redis.eval(RELEASE, 1, this.options.key, value);
  }

  /** The key's value while this owner holds it: a script that writes under the lease compares it. */
  held(): string {
    return `${this.options.owner} ${this.token}`;
  }
}
