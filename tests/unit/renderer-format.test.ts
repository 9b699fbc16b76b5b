import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lossColumns } from '../../src-renderer/lib/chart-data.js';
import {
  errorWithoutPath, exampleOutputName, formatBytes, formatDuration, formatPercent, headlineScore, itemFraction, namingProblem,
  sizeInOut, sourceLabel,
} from '../../src-renderer/lib/format.js';
import { clampPan, regionAround, sourceSizeFromCentredCrop, zoomAt } from '../../src-renderer/lib/viewport.js';

const settings = { naming: '{name}_x{scale}.{ext}', scale: 4 as const, model: null, format: 'keep' as const };

test('naming example follows the queue rules: keep format, tokens, missing {ext} appended, separators replaced', () => {
  assert.equal(exampleOutputName(settings, 'holiday.jpg'), 'holiday_x4.jpg');
  assert.equal(exampleOutputName({ ...settings, format: 'webp' }, 'holiday.jpg'), 'holiday_x4.webp');
  assert.equal(exampleOutputName(settings, 'scan.heic'), 'scan_x4.png', 'an input format we cannot write becomes PNG');
  assert.equal(exampleOutputName({ ...settings, naming: '{name}-{model}' , model: '/models/my-x4' }, 'a.png'), 'a-my-x4.png');
  assert.equal(exampleOutputName({ ...settings, naming: '{date}_{name}.{ext}' }, 'a.png', new Date(2024, 0, 5)), '2024-01-05_a.png');
});

test('naming problems are explained before anything is sent', () => {
  assert.equal(namingProblem('{name}_x{scale}.{ext}'), null);
  assert.match(namingProblem('') ?? '', /empty/);
  assert.match(namingProblem('out/{name}') ?? '', /cannot contain/);
  assert.match(namingProblem('{scale}.{ext}') ?? '', /same name/);
  assert.match(namingProblem('{name}{size}') ?? '', /\{size\} is not a token/);
});

test('sizes: exact pixels once done, megapixels before, unknown said in words', () => {
  const base = { settings: { scale: 2 } } as Parameters<typeof sizeInOut>[0];
  // One format on every row: pixels, W×H, whether done (exact output) or queued (source size from its thumbnail).
  assert.deepEqual(sizeInOut({ ...base, result: { width: 300, height: 200, ms: 5 } }), { input: '150×100', output: '300×200' });
  assert.deepEqual(sizeInOut({ ...base, result: { width: 301, height: 200, ms: 5 } }, { width: 151, height: 100 }), { input: '151×100', output: '301×200' });
  assert.deepEqual(sizeInOut({ ...base, result: null }, { width: 1000, height: 2000 }), { input: '1000×2000', output: '2000×4000' });
  assert.deepEqual(sizeInOut({ ...base, result: null }), { input: '', output: '' });
});

test('durations, bytes and percentages read naturally and never go negative or past 100', () => {
  assert.equal(formatDuration(null), '–');
  assert.equal(formatDuration(400), '< 1 s');
  assert.equal(formatDuration(42_000), '42 s');
  assert.equal(formatDuration(185_000), '3 min 05 s');
  assert.equal(formatDuration(3_720_000), '1 h 02 min');
  assert.equal(formatBytes(999), '999 B');
  assert.equal(formatBytes(1_500_000), '1.5 MB');
  assert.equal(formatPercent(1.2), '100 %');
  assert.equal(formatPercent(-1), '0 %');
  assert.equal(formatPercent(0.999), '99 %');
});

test('item progress: tiles while running, full when done, none before', () => {
  assert.equal(itemFraction({ state: 'queued', progress: null }), 0);
  assert.equal(itemFraction({ state: 'running', progress: { tilesDone: 1, tilesTotal: 4 } }), 0.25);
  assert.equal(itemFraction({ state: 'running', progress: { tilesDone: 0, tilesTotal: 0 } }), 0);
  assert.equal(itemFraction({ state: 'done', progress: null }), 1);
});

test('errors lose the path the row already shows; uploads are named as such', () => {
  assert.equal(errorWithoutPath('/a/b.png: not an image', '/a/b.png'), 'not an image');
  assert.equal(errorWithoutPath('engine crashed', '/a/b.png'), 'engine crashed');
  assert.equal(sourceLabel('/home/u/.local/share/subpixel/uploads/123/a.png', '/home/u/.local/share/subpixel'), 'dropped into the browser');
  assert.equal(sourceLabel('/photos/a.png', '/state'), '/photos');
});

test('headline score prefers Set5, then other benchmarks, then the fine-tune validation', () => {
  assert.equal(headlineScore({}), null);
  assert.equal(headlineScore({ validation: { psnr: 30, ssim: 0.9 }, Set14: { psnr: 26, ssim: 0.7 } })?.set, 'Set14');
  assert.equal(headlineScore({ validation: { psnr: 30, ssim: 0.9 }, Set5: { psnr: 28, ssim: 0.8 } })?.set, 'Set5');
  assert.equal(headlineScore({ validation: { psnr: 30, ssim: 0.9 } })?.set, 'validation');
});

test('loss chart columns: increasing steps, gaps where PSNR was not measured, repeats merged', () => {
  const [steps, loss, psnr] = lossColumns([
    { step: 1, loss: 0.5 }, { step: 2, loss: 0.4 }, { step: 2, loss: 0.39, valPsnr: 25 }, { step: 1, loss: 9 }, { step: 3, loss: Number.NaN },
  ]);
  assert.deepEqual(steps, [1, 2, 3]);
  assert.deepEqual(loss, [0.5, 0.39, null]);
  assert.deepEqual(psnr, [null, 25, null]);
});

test('viewer: zoom keeps the point under the cursor, pan keeps the image in sight, regions stay inside the source', () => {
  const zoomed = zoomAt({ zoom: 1, x: 10, y: 20 }, 2, 110, 120);
  assert.deepEqual(zoomed, { zoom: 2, x: -90, y: -80 });
  const far = clampPan({ zoom: 1, x: 5000, y: -5000 }, 400, 300, 800, 600);
  assert.ok(far.x <= 800 - 48 && far.y >= 48 - 300);
  assert.deepEqual(sourceSizeFromCentredCrop({ x: 72, y: 22, width: 256, height: 256 }), { width: 400, height: 300 });
  assert.deepEqual(regionAround(390, 5, { width: 256, height: 256 }, { width: 400, height: 300 }), { x: 144, y: 0, width: 256, height: 256 });
  assert.deepEqual(regionAround(10, 10, { width: 256, height: 256 }, { width: 100, height: 80 }), { x: 0, y: 0, width: 100, height: 80 });
});

test('chart ticks: one number of decimals per axis, enough to tell ticks apart', async () => {
  const { tickLabels } = await import('../../src-renderer/lib/chart-data.js');
  assert.deepEqual(tickLabels([0.0081, 0.0082, 0.0083], 0.0001), ['0.0081', '0.0082', '0.0083']);
  assert.deepEqual(tickLabels([32.8, 32.85, 32.9], 0.05), ['32.80', '32.85', '32.90']);
  assert.deepEqual(tickLabels([0, 500, 1000], 500), ['0', '500', '1000']);
  assert.deepEqual(tickLabels([0.1, 0.2, 0.3], 0.1), ['0.1', '0.2', '0.3']);
});

test('a row says which model Automatic chose and why, when the engine reported it', async () => {
  const { modelNote, sortModels } = await import('../../src-renderer/lib/format.js');
  assert.equal(modelNote({ result: { width: 2, height: 2, ms: 1, model: 'robust-x4', reason: 'robust: JPEG q≈62' } }), 'robust: JPEG q≈62');
  assert.equal(modelNote({ result: { width: 2, height: 2, ms: 1, model: 'efficient-x4' } }), 'efficient-x4');
  assert.equal(modelNote({ result: { width: 2, height: 2, ms: 1 } }), '');
  const m = (id: string, scale: number, extra: object = {}) => ({ id, scale, isDefault: false, source: 'shipped', scores: {}, createdAt: null, ...extra });
  const sorted = sortModels([
    m('custom-old', 2, { source: 'custom', createdAt: 1 }), m('espcn-x4', 4), m('custom-new', 2, { source: 'custom', createdAt: 2 }),
    m('espcn-x2', 2, { scores: { Set5: { psnr: 36, ssim: 0.9 } } }), m('efficient-x2', 2, { isDefault: true }), m('efficient-x4', 4, { isDefault: true }),
  ]);
  assert.deepEqual(sorted.map((x) => x.id), ['efficient-x2', 'espcn-x2', 'custom-new', 'custom-old', 'efficient-x4', 'espcn-x4']);
});

test('a video row shows its frames and rate; a video is named with its codec container, a sequence output as a folder', async () => {
  const { videoNote } = await import('../../src-renderer/lib/format.js');
  assert.equal(videoNote({ state: 'running', frames: { framesDone: 120, framesTotal: 480, fps: 31.24 }, result: null }), 'frame 120 of 480 · 31.2 fps');
  assert.equal(videoNote({ state: 'done', frames: null, result: { width: 2, height: 2, ms: 1, frames: 480, fps: 29.8, codec: 'ffv1' } }), '480 frames · 29.8 fps · ffv1');
  assert.equal(videoNote({ state: 'done', result: { width: 2, height: 2, ms: 1 } }), '');
  assert.equal(exampleOutputName(settings, 'clip.mp4'), 'clip_x4.mkv');
  const { outputName } = await import('../../src-common/naming.js');
  assert.equal(outputName('clip.mp4', { ...settings, video: { codec: 'h264' } }, 0), 'clip_x4.mp4');
  assert.equal(outputName('clip.avi', { ...settings, video: { codec: 'h264' } }, 0), 'clip_x4.mkv');
  assert.equal(outputName('reel.mov', { ...settings, video: { codec: 'png-sequence' } }, 0), 'reel_x4');
});
