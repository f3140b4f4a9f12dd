/**
 * The replicas' shared log of state changes, a Redis stream: every replica appends what its
 * decisions taught (dedup claims, guard history, keyed state) and reads what the others
 * appended before it decides. An append is fenced: it is written only while the writer still
 * holds the lease it decided under (the decision lease, redis-lease.ts), checked in the same
 * script as the XADD — a replica that lost its lease while deciding (paused, partitioned)
 * writes nothing, and its decisions are not acknowledged.
 *
 * Records are JSON text; the stream's ids (`ms-seq`) give their order. Old records are
 * trimmed once a snapshot covers them (trim()). A replica catches up (catchUp) after taking
 * the lease and before it decides and appends: every append is made under the lease, so no
 * other replica's record can fall between what it read and what it wrote.
 */
import type { Redis } from 'ioredis';

const APPEND = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return false end
local id = '0-0'
for i = 2, #ARGV do id = redis.call('XADD', KEYS[2], '*', 'r', ARGV[i]) end
return id`;

/** The lease value the append is fenced by (RedisLease.held()) and its key. */
export interface Fence {
  key: string;
  value: string;
}

export class LeaseLostError extends Error {}

export class RedisLog {
  /** The id of the last record read or written by this replica. */
  private last = '0-0';

  constructor(
    private readonly redis: Redis,
    /** The stream's key, such as `homeostat:log`. */
    readonly key: string,
  ) {}

  /**
   * Appends records (JSON text each) while `fence` holds; the id of the last one. Throws
   * LeaseLostError when the lease is no longer the writer's: nothing was written.
   */
  async append(fence: Fence, records: readonly string[]): Promise<string> {
    if (records.length === 0) return this.last;
    const id = (await this.redis.eval(APPEND, 2, fence.key, this.key, fence.value, ...records)) as string | null;
    if (id === null) throw new LeaseLostError(`the lease ${fence.key} was lost before the decision was written; nothing of it was`);
    this.last = id;
    return id;
  }

  /**
   * Every record appended after the last one this replica read or wrote, in order, at most
   * `batch` per round trip. Records this replica appended itself are not returned again.
   */
  async catchUp(apply: (record: string, id: string) => void, batch = 1000): Promise<number> {
    let read = 0;
    for (;;) {
      const entries = await this.redis.xrange(this.key, `(${this.last}`, '+', 'COUNT', batch);
      for (const [id, fields] of entries) {
        apply(fields[1]!, id);
        this.last = id;
      }
      read += entries.length;
      if (entries.length < batch) return read;
    }
  }

  /** Drops the records up to and including `id` (a snapshot covers them). */
  async trim(id: string): Promise<void> {
    await this.redis.xtrim(this.key, 'MINID', nextId(id));
  }

  /** Reading starts after `id` (a snapshot's position). */
  resumeAfter(id: string): void {
    this.last = id;
  }

  get position(): string {
    return this.last;
  }
}

/** The smallest stream id after `id`. */
function nextId(id: string): string {
  const [ms, seq] = id.split('-');
  return `${ms}-${BigInt(seq ?? '0') + 1n}`;
}
