/**
 * The Redis connection of the worker pool. BullMQ brings no Redis driver of its own; ioredis is the one it is built
 * and tested with. It is loaded when a cluster command runs, so the rest of the CLI and the app never load it.
 */

/** What this project calls on an ioredis client itself (BullMQ takes the client as it is). */
export interface RedisClient {
  set(key: string, value: string, ...args: Array<string | number>): Promise<string | null>;
  get(key: string): Promise<string | null>;
  del(...keys: string[]): Promise<number>;
  eval(script: string, keys: number, ...args: Array<string | number>): Promise<unknown>;
  ping(): Promise<string>;
  connect(): Promise<void>;
  duplicate(): RedisClient;
  quit(): Promise<string>;
  disconnect(): void;
  on(event: 'error', listener: (error: Error) => void): unknown;
}

type RedisConstructor = new (url: string, options: Record<string, unknown>) => RedisClient;

/** Accepts redis:// and rediss:// (TLS) URLs, with user name, password and database number; names what is wrong. */
export function parseRedisUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`--redis must be a URL such as redis://host:6379 or rediss://:password@host:6380/0 (got '${redactRedisUrl(text)}')`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new Error(`--redis must start with redis:// or rediss:// (TLS) (got '${url.protocol}//')`);
  }
  if (!url.hostname) throw new Error('--redis names no host');
  if (url.pathname.length > 1 && !/^\/\d+$/.test(url.pathname)) throw new Error(`--redis: the path is the database number (got '${url.pathname}')`);
  return url;
}

/** The URL with its password replaced, for logs and error messages. */
export function redactRedisUrl(text: string): string {
  return text.replace(/^(rediss?:\/\/[^:@/]*:)[^@/]*@/i, '$1***@');
}

/** The Redis URL from --redis, or SUBPIXEL_REDIS_URL when the option is given without a value (keeps passwords out of `ps`). */
export function redisUrlFrom(option: string | true, env: NodeJS.ProcessEnv = process.env): string {
  if (option !== true) return option;
  const url = env.SUBPIXEL_REDIS_URL;
  if (!url) throw new Error('--redis without a URL reads SUBPIXEL_REDIS_URL, which is not set');
  return url;
}

async function loadRedis(): Promise<RedisConstructor> {
  const name = 'ioredis'; // a variable: the type check does not require the driver
  try {
    const mod = (await import(name)) as { Redis: RedisConstructor };
    return mod.Redis;
  } catch (error) {
    throw new Error(`the Redis driver (ioredis) could not be loaded: ${(error as Error).message}; run npm install`);
  }
}

export interface ConnectOptions {
  /** Workers block on Redis and must retry forever (BullMQ requires maxRetriesPerRequest: null for them). */
  role: 'worker' | 'producer';
  /** Give up on the first connection after this long (default 10 s): a wrong host fails with a message, not a hang. */
  timeoutMs?: number;
}

/** Connects and checks the server answers; closes the client again when it does not. */
export async function connectRedis(text: string, options: ConnectOptions): Promise<RedisClient> {
  const url = parseRedisUrl(text);
  const Redis = await loadRedis();
  const client = new Redis(text, {
    lazyConnect: true,
    maxRetriesPerRequest: null,
    // Producers ask for many job states at once: auto-pipelining sends them in one round trip.
    enableAutoPipelining: options.role === 'producer',
    ...(url.protocol === 'rediss:' ? { tls: { servername: url.hostname } } : {}),
  });
  let lastError: Error | undefined;
  client.on('error', (error) => { lastError = error; });
  const timeoutMs = options.timeoutMs ?? 10_000;
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      client.connect().then(() => client.ping()),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
      }),
    ]);
  } catch (error) {
    client.disconnect();
    const reason = lastError?.message ?? (error as Error).message;
    throw new Error(`cannot reach Redis at ${redactRedisUrl(text)}: ${reason}`);
  } finally {
    clearTimeout(timer);
  }
  return client;
}
