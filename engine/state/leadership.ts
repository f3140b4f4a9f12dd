/**
 * One leader among the replicas, on a Redis lease (redis-lease.ts): the leader renews its
 * lease every third of its ttl; the others try to take it as often. A leader that cannot
 * renew (the lease was lost, or Redis does not answer) steps down at once, before the lease
 * can have expired on Redis: the leader's work (the policy sync, the schedules) stops before
 * another replica can start it. A new leader takes over at most ttl + ttl/3 after the old
 * one died without releasing.
 */
import type { Logger } from 'pino';
import type { Redis } from 'ioredis';
import { RedisLease } from './redis-lease.js';

export interface LeadershipOptions {
  redis: Redis;
  key: string;
  owner: string;
  ttlMs: number;
  log: Logger;
  /** Called when this replica becomes leader (with its fencing token) and when it stops being one (null). */
  onChange(token: number | null): void;
}

export class Leadership {
  private readonly lease: RedisLease;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private ticking: Promise<void> = Promise.resolve();

  constructor(private readonly options: LeadershipOptions) {
    this.lease = new RedisLease(options);
  }

  /** The fencing token while leader, else null. */
  get token(): number | null {
    return this.lease.token;
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  /** Stops trying; a leader releases its lease so that another takes over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.ticking;
    if (this.lease.token === null) return;
    await this.lease.release().catch(() => undefined);
    this.options.onChange(null);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.ticking = this.tick().finally(() => this.schedule(Math.max(1, Math.floor(this.options.ttlMs / 3))));
    }, ms);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    const { log, key, owner } = this.options;
    const leader = this.lease.token !== null;
    try {
      if (leader) {
        if (await this.lease.renew()) return;
        log.warn({ key, owner }, 'leadership lost: the lease was taken or expired; stepping down');
        this.options.onChange(null);
        return;
      }
      const token = await this.lease.acquire();
      if (token === null) return;
      log.info({ key, owner, token }, 'leadership taken');
      this.options.onChange(token);
    } catch (error) {
      if (!leader) return;
      this.lease.token = null;
      log.warn({ err: error, key, owner }, 'leadership given up: Redis did not answer the renewal');
      this.options.onChange(null);
    }
  }
}
