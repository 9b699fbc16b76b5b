import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { statePaths } from '../../src-main/common/state-home.js';
import { JobQueue } from '../../src-main/jobs/queue.js';
import { saveTinyModel, tempDir, writeNoiseImage } from './fixtures/services-fixtures.js';

const CHILD = join(import.meta.dirname, 'fixtures', 'queue-child.ts');
const N = 8;

interface ChildRun { lines: string[]; code: number | null; signal: NodeJS.Signals | null }

interface Kill { after: 'running' | 'done'; delayMs: number }

/** Runs the batch child; with `kill`, SIGKILLs it `delayMs` after the first line saying an item is running / done. */
function runChild(args: string[], kill?: Kill): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    let buffer = '';
    let armed = false;
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.stdout.on('data', (d: Buffer) => {
      buffer += d.toString();
      const parts = buffer.split('\n');
      buffer = parts.pop()!;
      for (const line of parts) {
        lines.push(line);
        if (kill && !armed && line.startsWith(`${kill.after} `)) {
          armed = true;
          setTimeout(() => child.kill('SIGKILL'), kill.delayMs);
        }
      }
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code !== 0 && signal === null) reject(new Error(`child failed (${code}): ${stderr.slice(-2000)}`));
      else resolve({ lines, code, signal });
    });
  });
}

test('a batch killed with SIGKILL mid-run finishes after restarts: every item done once, no partial outputs', { timeout: 60_000 }, async () => {
  const dir = await tempDir('crash');
  try {
    const home = join(dir.path, 'home');
    const src = join(dir.path, 'src');
    const out = join(dir.path, 'out');
    const model = await saveTinyModel(statePaths(home).models, 2);
    for (let i = 0; i < N; i++) await writeNoiseImage(join(src, `img${i}.png`), 320, 240, 100 + i);

    // Kill at different moments: as the first runs start, then at spread delays after an item finished, which lands
    // in the middle of the next items' decode, inference, encode or atomic write.
    let kills = 0;
    const kills_: Kill[] = [{ after: 'running', delayMs: 5 }, ...[0, 15, 40, 70, 110].map((delayMs) => ({ after: 'done' as const, delayMs }))];
    for (const kill of kills_) {
      const run = await runChild([home, src, out, model], kill);
      if (run.signal === 'SIGKILL') kills++;
      if (process.env.CRASH_DEBUG) console.log(kill, run.signal, run.lines.filter((l) => !l.startsWith('queued')).map((l) => l.replace(src, '')).join(' | '));
      if (run.lines.includes('idle')) break;
    }
    assert.ok(kills >= 1, 'at least one run was killed mid-batch');
    const final = await runChild([home, src, out, model]);
    assert.ok(final.lines.includes('idle'));

    const queue = await JobQueue.open({ journalPath: statePaths(home).queueJournal, runner: async () => { throw new Error('nothing should run'); }, autoStart: false });
    const items = queue.list();
    await queue.close();
    assert.equal(items.length, N, 'no item lost or added twice');
    assert.ok(items.every((i) => i.state === 'done'), items.map((i) => `${i.input}: ${i.state} ${i.error ?? ''}`).join('\n'));

    const names = (await readdir(out)).sort();
    assert.deepEqual(names, Array.from({ length: N }, (_, i) => `img${i}_x2.png`).sort(), 'one output per input: nothing done twice, no temp files');
    for (const name of names) {
      const meta = await sharp(join(out, name)).metadata();
      assert.deepEqual([meta.width, meta.height], [640, 480], `${name} is a whole image`);
      await sharp(join(out, name)).raw().toBuffer(); // decodes fully: not truncated
    }
    assert.deepEqual(items.map((i) => i.output).sort(), names.map((n) => join(out, n)));
  } finally {
    await dir.cleanup();
  }
});
