import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { classicEspcn, randomWeights } from '../../src-main/engine/models/spec.js';
import { saveModel } from '../../src-main/engine/models/store.js';
import { subpixel } from './fixtures/cli-run.js';
import { redisMissing, startRedis, type TestRedis } from './redis-harness.js';

const BIN = new URL('../../bin/subpixel.js', import.meta.url).pathname;


/** A private CA and a certificate for 127.0.0.1, made with openssl for this test. */
function makeCertificates(dir: string): { ca: string; cert: string; key: string } {
  const at = (name: string): string => join(dir, name);
  const openssl = (...args: string[]): void => { execFileSync('openssl', args, { stdio: 'ignore' }); };
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', at('ca.key'), '-out', at('ca.crt'), '-days', '1', '-subj', '/CN=subpixel test CA');
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', at('server.key'), '-out', at('server.csr'), '-subj', '/CN=127.0.0.1');
  writeFileSync(at('ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl('x509', '-req', '-in', at('server.csr'), '-CA', at('ca.crt'), '-CAkey', at('ca.key'), '-CAcreateserial', '-out', at('server.crt'), '-days', '1', '-extfile', at('ext.cnf'));
  return { ca: at('ca.crt'), cert: at('server.crt'), key: at('server.key') };
}

describe('the pool over TLS with a password (rediss://)', { skip: redisMissing }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'subpixel-tls-'));
  const env = { SUBPIXEL_HOME: join(dir, 'home'), SUBPIXEL_MODELS_DIR: join(dir, 'none') };
  let redis: TestRedis;
  let certs: ReturnType<typeof makeCertificates>;

  before(async () => {
    certs = makeCertificates(dir);
    redis = await startRedis({ password: 'pa55 word', tls: certs });
  });
  after(async () => {
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a worker and a producer run a batch over rediss:// with the password from SUBPIXEL_REDIS_URL', async () => {
    assert.match(redis.url, /^rediss:\/\/:pa55%20word@127\.0\.0\.1:\d+$/);
    const shared = join(dir, 'shared');
    mkdirSync(join(shared, 'in'), { recursive: true });
    await saveModel(join(shared, 'model'), randomWeights(classicEspcn(2), 2), { id: 'tls-x2' });
    await sharp({ create: { width: 10, height: 8, channels: 3, background: '#abcdef' } }).png().toFile(join(shared, 'in', 'a.png'));
    const tlsEnv = { ...env, NODE_EXTRA_CA_CERTS: certs.ca, SUBPIXEL_REDIS_URL: redis.url };
    const worker = spawn(process.execPath, [BIN, 'worker', '--redis', '--allow', shared], { env: { ...process.env, ...tlsEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    worker.stderr!.on('data', (d: Buffer) => { log += d.toString(); });
    const exited = new Promise((r) => worker.once('exit', r));
    try {
      const r = await subpixel(['upscale', join(shared, 'in'), '-o', join(shared, 'out'), '-s', '2', '-m', join(shared, 'model'), '--redis', '--json'], tlsEnv);
      assert.equal(r.code, 0, r.stderr);
      const doc = JSON.parse(r.stdout) as { done: Array<{ output: string; width: number }> };
      assert.deepEqual(doc.done.map((d) => [d.output, d.width]), [[join(shared, 'out', 'a_x2.png'), 20]]);
      assert.match(log, /ready on rediss:\/\/:\*\*\*@127\.0\.0\.1/, 'the password is not printed');
      assert.ok(!log.includes('pa55'), log);
    } finally {
      worker.kill('SIGTERM');
      await exited;
    }
  });

  it('a wrong password, an unknown CA and a plain redis:// URL fail with the reason, never showing the password', async () => {
    const tlsEnv = { ...env, NODE_EXTRA_CA_CERTS: certs.ca };
    const wrong = await subpixel(['batch', 'x', '--redis', `rediss://:nope-secret@127.0.0.1:${redis.port}`], tlsEnv);
    assert.equal(wrong.code, 2);
    assert.match(wrong.stderr, /cannot reach Redis at rediss:\/\/:\*\*\*@127\.0\.0\.1:\d+: .*(WRONGPASS|invalid)/i);
    assert.ok(!wrong.stderr.includes('nope-secret'));
    const noCa = await subpixel(['batch', 'x', '--redis', redis.url], env);
    assert.equal(noCa.code, 2);
    assert.match(noCa.stderr, /cannot reach Redis .*(certificate|self.signed)/i);
    const plain = await subpixel(['batch', 'x', '--redis', redis.url.replace('rediss:', 'redis:')], tlsEnv);
    assert.equal(plain.code, 2);
    assert.match(plain.stderr, /cannot reach Redis/);
    const known = await subpixel(['batch', 'x', '--redis', redis.url], tlsEnv);
    assert.match(known.stderr, /no batch x on this Redis/, 'with the CA and the password it connects');
  });
});
