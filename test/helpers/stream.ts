import type Redis from 'ioredis';

/** One entry of a Redis stream as the relay writes it: its fields, and the CloudEvent parsed. */
export interface StreamEntry {
  id: string;
  type: string;
  subject: string;
  event: any;
}

/** Every entry of a stream, oldest first. */
export async function readStream(redis: Redis, stream: string): Promise<StreamEntry[]> {
  const entries = await redis.xrange(stream, '-', '+');
  return entries.map(([, fields]) => {
    const f: Record<string, string> = {};
    for (let i = 0; i < fields.length; i += 2) f[fields[i]] = fields[i + 1];
    return { id: f.id, type: f.type, subject: f.subject, event: JSON.parse(f.event) };
  });
}
