// Redis connections. BullMQ workers need maxRetriesPerRequest: null; blocking reads need their own connection.
import { Redis } from 'ioredis';

export function createRedis(url: string, name: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, connectionName: name, lazyConnect: false });
}

export type { Redis };
