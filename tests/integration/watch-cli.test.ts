import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { classicEspcn, randomWeights } from '../../src-main/engine/models/spec.js';
import { saveModel } from '../../src-main/engine/models/store.js';
import { openAppServices } from '../../src-main/api/services.js';

const BIN = new URL('../../bin/subpixel.js', import.meta.url).pathname;
const SAMPLE = new URL('../../resources/samples/coffee.png', import.meta.url).pathname;

interface Running { child: ChildProcessWithoutNullStreams; stdout: () => string; stderr: () => string }

function startWatch(args: string[], env: NodeJS.ProcessEnv): Promise<Running> {
  const child = spawn(process.execPath, [BIN, 'watch', ...args], { env: { ...process.env, ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => { stdout += d; });
  return new Promise((resolve, reject) => {
    child.stderr.on('data', (d: Buffer) => {
      stderr += d;
      if (/watching \d+ folder/.test(stderr)) resolve({ child, stdout: () => stdout, stderr: () => stderr });
    });
    child.on('exit', (code) => reject(new Error(`watch exited early with ${code}: ${stderr}`)));
  });
}

async function waitFor(check: () => boolean, what: string, ms = 60_000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function stop(run: Running): Promise<number | null> {
  return new Promise((resolve) => {
    run.child.once('exit', (code) => resolve(code));
    run.child.kill('SIGTERM');
  });
}

describe('subpixel watch (headless)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'subpixel-watch-cli-'));
  const inbox = join(dir, 'in');
  const out = join(dir, 'out');
  const model = join(dir, 'model-x2');
  const env = { SUBPIXEL_HOME: join(dir, 'home') };
  const args = [inbox, '-o', out, '-s', '2', '-m', model];
  before(async () => {
    mkdirSync(inbox);
    await saveModel(model, randomWeights(classicEspcn(2), 4), { id: 'random-x2' });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('upscales a file that lands in the folder, stops cleanly on SIGTERM, and on restart takes what arrived meanwhile without redoing the first', async () => {
    const first = await startWatch(args, env);
    await sharp(SAMPLE).resize(40, 30).toFile(join(inbox, 'one.png'));
    await waitFor(() => existsSync(join(out, 'one_x2.png')), 'one_x2.png');
    assert.deepEqual([(await sharp(join(out, 'one_x2.png')).metadata()).width, (await sharp(join(out, 'one_x2.png')).metadata()).height], [80, 60]);
    await waitFor(() => /done\s+\S*one\.png/.test(first.stdout()), 'the done line');
    assert.equal(await stop(first), 0);

    await sharp(SAMPLE).resize(30, 20).toFile(join(inbox, 'two.png'));
    const second = await startWatch(args, env);
    await waitFor(() => existsSync(join(out, 'two_x2.png')), 'two_x2.png (arrived while stopped)');
    await waitFor(() => /done\s+\S*two\.png/.test(second.stdout()), 'the done line for two');
    assert.ok(!/one\.png/.test(second.stdout()), 'the file done before the restart is not done again');
    assert.equal(await stop(second), 0);
    assert.deepEqual(readdirSync(out).sort(), ['one_x2.png', 'two_x2.png']);
  });

  it('watches only the folders it is given, not other watches saved in the same state folder', async () => {
    const other = join(dir, 'other');
    mkdirSync(other);
    // a watch the app saved earlier in the same state folder
    const app = await openAppServices({ home: env.SUBPIXEL_HOME, autoStart: false });
    await app.watch.add({ folder: other, settings: { scale: 2, model, outputDir: out }, recursive: false, paused: false });
    await app.close();
    await sharp(SAMPLE).resize(20, 20).toFile(join(other, 'not-now.png'));
    const run = await startWatch(args, env);
    await sharp(SAMPLE).resize(20, 20).toFile(join(inbox, 'three.png'));
    await waitFor(() => /done\s+\S*three\.png/.test(run.stdout()), 'the done line for three');
    assert.equal(await stop(run), 0);
    assert.ok(!existsSync(join(out, 'not-now_x2.png')), 'the saved watch of another folder stayed off');
    assert.ok(!/not-now/.test(run.stdout()));
  });

  it('stops cleanly on a SIGTERM sent the moment it says it is watching (handlers are in before that line)', async () => {
    for (let i = 0; i < 3; i++) {
      const run = await startWatch(args, env);
      assert.equal(await stop(run), 0, run.stderr());
      assert.match(run.stderr(), /SIGTERM: stopping/);
    }
  });

  it('rejects a bad scale with a clear message', async () => {
    await assert.rejects(startWatch([inbox, '-o', out, '-s', '5'], env), /scale must be 2, 3 or 4/);
  });
});
