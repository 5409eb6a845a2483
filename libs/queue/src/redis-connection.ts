import Redis, { RedisOptions } from 'ioredis';

/**
 * Producers fail fast when Redis is down (no offline queue) so a caller learns at once; workers
 * wait for Redis to return (maxRetriesPerRequest null), as BullMQ requires.
 */
export function redisOptions(redisUrl: string, role: 'producer' | 'worker'): RedisOptions {
  const url = new URL(redisUrl);
  return {
    host: url.hostname,
    port: Number(url.port || 6379),
    username: url.username || undefined,
    password: url.password ? decodeURIComponent(url.password) : undefined,
    db: url.pathname.length > 1 ? Number(url.pathname.slice(1)) : 0,
    tls: url.protocol === 'rediss:' ? {} : undefined,
    ...(role === 'producer'
      ? { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 2000 }
      : { maxRetriesPerRequest: null }),
  };
}

export function createRedis(redisUrl: string, role: 'producer' | 'worker'): Redis {
  return new Redis(redisOptions(redisUrl, role));
}
