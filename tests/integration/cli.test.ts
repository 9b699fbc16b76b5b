import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { classicEspcn, randomWeights } from '../../src-main/engine/models/spec.js';
import { saveModel } from '../../src-main/engine/models/store.js';
import { needsShared, sharedPath } from '../paths.js';
import { subpixel } from './fixtures/cli-run.js';

const SAMPLES = new URL('../../resources/samples/', import.meta.url).pathname;
const SET5 = sharedPath('datasets', 'eval', 'Set5');


describe('subpixel CLI', () => {
  const dir = mkdtempSync(join(tmpdir(), 'subpixel-cli-'));
  const home = join(dir, 'home');
  const env = { SUBPIXEL_HOME: home, SUBPIXEL_MODELS_DIR: join(dir, 'no-shipped-models') };
  const model = join(dir, 'random-x2');
  const inputs = join(dir, 'in');

  before(async () => {
    await saveModel(model, randomWeights(classicEspcn(2), 5), { id: 'random-x2' });
    mkdirSync(join(inputs, 'sub', 'deeper'), { recursive: true });
    await sharp(join(SAMPLES, 'chelsea.png')).resize(60, 40).toFile(join(inputs, 'cat.png'));
    await sharp(join(SAMPLES, 'rocket.jpg')).resize(50, 33).toFile(join(inputs, 'sub', 'rocket.jpg'));
    await sharp(join(SAMPLES, 'camera.png')).resize(30, 30).toFile(join(inputs, 'sub', 'deeper', 'camera.webp'));
    writeFileSync(join(inputs, 'corrupt.png'), Buffer.from('this is not a png'));
    copyFileSync(join(SAMPLES, 'LICENSES.md'), join(inputs, 'notes.md'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('--version and -V print the package version', async () => {
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const r = await subpixel([flag], env);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.trim(), version);
    }
  });

  it('upscales a folder recursively, keeps sub-folders, reports the bad file and exits non-zero', async () => {
    const out = join(dir, 'out');
    const r = await subpixel(['upscale', inputs, '-o', out, '-s', '2', '-m', model, '--recursive', '--json'], env);
    assert.equal(r.code, 1, r.stderr);
    const doc = JSON.parse(r.stdout) as { done: Array<{ input: string; output: string; width: number; height: number; ms: number }>; failed: Array<{ input: string; error: string }>; skipped: unknown[] };
    assert.equal(doc.done.length, 3);
    assert.deepEqual(doc.failed.map((f) => f.input), [join(inputs, 'corrupt.png')]);
    assert.match(doc.failed[0].error, /not an image/);
    const byName = Object.fromEntries(doc.done.map((d) => [d.output.slice(out.length + 1), d]));
    // Named as the app names them (the default pattern {name}_x{scale}.{ext}).
    assert.deepEqual(Object.keys(byName).sort(), ['cat_x2.png', 'sub/deeper/camera_x2.webp', 'sub/rocket_x2.jpg']);
    assert.equal(byName['cat_x2.png'].width, 120);
    assert.equal(byName['cat_x2.png'].height, 80);
    const meta = await sharp(join(out, 'sub', 'rocket_x2.jpg')).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height], ['jpeg', 100, 66]);
    assert.ok(!readdirSync(out).some((f) => f.includes('subpixel-tmp')), 'no temp files left');
  });

  it('without --recursive takes only the top level; --skip-existing skips; --format converts', async () => {
    const out = join(dir, 'out-flat');
    const first = await subpixel(['upscale', inputs, '-o', out, '-s', '2', '-m', model, '--format', 'webp', '--quality', '80', '--json'], env);
    const doc = JSON.parse(first.stdout) as { done: Array<{ output: string }> };
    assert.deepEqual(doc.done.map((d) => d.output), [join(out, 'cat_x2.webp')]);
    assert.equal((await sharp(join(out, 'cat_x2.webp')).metadata()).format, 'webp');
    const second = await subpixel(['upscale', join(inputs, 'cat.png'), '-o', out, '-s', '2', '-m', model, '--format', 'webp', '--skip-existing', '--json'], env);
    assert.equal(second.code, 0);
    const doc2 = JSON.parse(second.stdout) as { done: unknown[]; skipped: Array<{ input: string }> };
    assert.equal(doc2.done.length, 0);
    assert.deepEqual(doc2.skipped.map((s) => s.input), [join(inputs, 'cat.png')]);
  });

  it('a scanned TIFF keeps its EXIF and XMP through upscale, to JPEG and to TIFF', async () => {
    const scan = join(dir, 'scan', 'frame.tif');
    mkdirSync(join(dir, 'scan'), { recursive: true });
    await sharp(join(SAMPLES, 'camera.png')).resize(40, 30).withXmp('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
      + 'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/" '
      + 'xmp:Label="Reel 3"/></rdf:RDF></x:xmpmeta>').tiff().toFile(scan);
    execFileSync('exiftool', ['-q', '-overwrite_original', '-Make=Nikon', '-DateTimeOriginal=1987:06:05 04:03:02', scan]);
    for (const format of ['jpg', 'tiff']) {
      const out = join(dir, `scan-out-${format}`);
      const r = await subpixel(['upscale', scan, '-o', out, '-s', '2', '-m', model, '--format', format, '--json'], env);
      assert.equal(r.code, 0, r.stderr);
      const written = join(out, `frame_x2.${format}`);
      const tags = JSON.parse(execFileSync('exiftool', ['-j', '-a', written]).toString())[0] as Record<string, unknown>;
      assert.equal(tags.Make, 'Nikon', format);
      assert.equal(tags.DateTimeOriginal, '1987:06:05 04:03:02', format);
      assert.equal(tags.Label, 'Reel 3', format);
      assert.deepEqual([tags.ImageWidth, tags.ImageHeight], [80, 60], format);
    }
  });

  it('never writes over an input', async () => {
    const r = await subpixel(['upscale', join(inputs, 'cat.png'), '-o', inputs, '-s', '2', '-m', model, '--naming', '{name}.{ext}', '--json'], env);
    assert.equal(r.code, 1);
    const doc = JSON.parse(r.stdout) as { failed: Array<{ error: string }> };
    assert.match(doc.failed[0].error, /replace the input/);
    assert.equal((await sharp(join(inputs, 'cat.png')).metadata()).width, 60);
  });

  it('says clearly when no trained model for the scale is installed', async () => {
    const r = await subpixel(['upscale', inputs, '-o', join(dir, 'none'), '-s', '3'], env);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /no trained x3 model is installed/);
    assert.ok(!existsSync(join(dir, 'none')));
  });

  it('rejects a bad scale with a clear message', async () => {
    const r = await subpixel(['upscale', inputs, '-o', join(dir, 'x'), '-s', '5', '-m', model], env);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /--scale must be 2, 3, 4/);
  });

  it('info --json lists backends and models', async () => {
    const r = await subpixel(['info', '--json'], { ...env, SUBPIXEL_MODELS_DIR: dir });
    assert.equal(r.code, 0, r.stderr);
    const info = JSON.parse(r.stdout) as { version: string; backends: Array<{ name: string; available: boolean; devices: string[] }>; models: Array<{ id: string; scale: number; macsPerPixel: number; path: string }> };
    assert.match(info.version, /^\d+\.\d+\.\d+/);
    const onnx = info.backends.find((b) => b.name === 'onnx');
    assert.ok(onnx?.available && onnx.devices.includes('cpu'));
    assert.ok(info.backends.some((b) => b.name.startsWith('tfjs-') && b.available));
    const listed = info.models.find((m) => m.id === 'random-x2');
    assert.ok(listed);
    assert.equal(listed.scale, 2);
    assert.equal(listed.macsPerPixel, 5 * 5 * 64 + 9 * 64 * 32 + 9 * 32 * 4);
  });

  it('eval --json scores bicubic like the published Set5 table and scores a model', { skip: needsShared('datasets/eval/Set5') }, async () => {
    const r = await subpixel(['eval', SET5, '-s', '2', '-m', model, '--json'], env);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as { dataset: string; scale: number; model: string; mean: { bicubic: { psnr: number; ssim: number }; model: { psnr: number; ssim: number } }; images: Array<{ name: string }> };
    assert.equal(doc.dataset, 'Set5');
    assert.equal(doc.images.length, 5);
    // Published bicubic x2 on Set5: 33.66 dB / 0.9299.
    assert.ok(Math.abs(doc.mean.bicubic.psnr - 33.66) < 0.1, `bicubic ${doc.mean.bicubic.psnr}`);
    assert.ok(Math.abs(doc.mean.bicubic.ssim - 0.9299) < 0.003, `bicubic ssim ${doc.mean.bicubic.ssim}`);
    assert.ok(Number.isFinite(doc.mean.model.psnr));
    assert.equal(doc.model, 'random-x2');
  });
});
