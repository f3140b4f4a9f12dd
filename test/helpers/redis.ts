/**
 * A real Redis (Debian `redis-server`) for tests: on a free port of 127.0.0.1, without
 * persistence, as DESIGN.md starts it. It can be stopped and started again on the same port
 * (a Redis outage), and it is killed when the test ends.
 */
import { freePort, requireCommand, spawnLogged } from './processes.js';
import type { Spawned } from './processes.js';
import { waitFor } from './wait.js';
import { connect } from 'node:net';
import { Redis } from 'ioredis';

export interface TestRedis {
  url: string;
  port: number;
  /** Stops the server (SIGKILL: an outage, not a shutdown). */
  stop(): Promise<void>;
  /** Starts it again on the same port, empty (no persistence). */
  start(): Promise<void>;
  output(): string;
}

export async function startRedis(): Promise<TestRedis> {
  const binary = requireCommand('redis-server', 'redis-server');
  const port = await freePort();
  let server: Spawned | null = null;
  let log = '';
  const start = async (): Promise<void> => {
    server = spawnLogged(binary, ['--port', String(port), '--save', '', '--appendonly', 'no', '--bind', '127.0.0.1']);
    const started = server;
    await Promise.race([
      waitFor(() => accepts(port), `redis-server on 127.0.0.1:${port}`),
      started.exited.then(({ code }) => Promise.reject(new Error(`redis-server exited (${code}) before it listened:\n${started.output()}`))),
    ]);
  };
  const stop = async (): Promise<void> => {
    if (!server) return;
    const stopping = server;
    server = null;
    log += stopping.output();
    stopping.child.kill('SIGKILL');
    await stopping.exited;
  };
  await start();
  return { url: `redis://127.0.0.1:${port}`, port, stop, start, output: () => log + (server?.output() ?? '') };
}

/** Whether something accepts TCP connections on the port. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Clients as a replica holds them: no queue while Redis is away (a command fails at once),
 * reconnecting. `close()` ends every client it made.
 */
export function redisClients(url: () => string): { client(): Promise<Redis>; close(): void } {
  const made: Redis[] = [];
  return {
    async client() {
      const redis = new Redis(url(), { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false, retryStrategy: () => 50 });
      redis.on('error', () => undefined);
      made.push(redis);
      await redis.connect();
      return redis;
    },
    close: () => made.splice(0).forEach((redis) => redis.disconnect()),
  };
}
