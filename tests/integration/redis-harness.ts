import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';

const REDIS_SERVER = ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].find((p) => existsSync(p));

/** Why the Redis tests cannot run here, or undefined when they can (pass as `skip` to describe). */
export const redisMissing: string | undefined = REDIS_SERVER ? undefined : 'redis-server is not installed (apt-get install redis-server)';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface TestRedis { url: string; port: number; stop(): Promise<void> }

export interface TestRedisOptions {
  /** requirepass: clients must send it. */
  password?: string;
  /** Serve TLS only (rediss://), with this certificate and key. */
  tls?: { cert: string; key: string; ca: string };
}

/** A private redis-server on a free loopback port, without persistence; stop() ends it. */
export async function startRedis(options: TestRedisOptions = {}): Promise<TestRedis> {
  if (!REDIS_SERVER) throw new Error(redisMissing);
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const listen = options.tls
      ? ['--port', '0', '--tls-port', String(port), '--tls-cert-file', options.tls.cert, '--tls-key-file', options.tls.key,
        '--tls-ca-cert-file', options.tls.ca, '--tls-auth-clients', 'no']
      : ['--port', String(port)];
    const auth = options.password ? ['--requirepass', options.password] : [];
    const child: ChildProcess = spawn(REDIS_SERVER, [...listen, ...auth, '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const ready = await new Promise<boolean>((resolve) => {
      child.stdout!.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Ready to accept connections')) resolve(true);
      });
      child.once('exit', () => resolve(false));
    });
    if (ready) {
      return {
        url: `${options.tls ? 'rediss' : 'redis'}://${options.password ? `:${encodeURIComponent(options.password)}@` : ''}127.0.0.1:${port}`,
        port,
        stop: () => new Promise<void>((resolve) => {
          if (child.exitCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
        }),
      };
    }
    // Another process took the port between the probe and the start: try another.
    if (attempt >= 3) throw new Error(`redis-server did not start: ${output}`);
  }
}
