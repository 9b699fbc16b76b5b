import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pixelFormatFacts, rawFormatFor } from '../../src-main/video/pixel-format.js';
import { pixelFormatCandidates } from '../../src-main/video/codecs.js';
import { describeGaps, frameName, sequenceFromPattern, sequenceInFolder, sequencePattern } from '../../src-main/video/sequence.js';
import { containerFor, isVideoPath } from '../../src-common/video-files.js';

test('pixel formats: depth, alpha, grey and chroma from the name; the pipe carries 8 or 16 bits', () => {
  assert.deepEqual(pixelFormatFacts('yuv420p10le'), { bitDepth: 10, alpha: false, gray: false, family: 'yuv', chroma: 420 });
  assert.deepEqual(pixelFormatFacts('yuva444p12le'), { bitDepth: 12, alpha: true, gray: false, family: 'yuv', chroma: 444 });
  assert.deepEqual(pixelFormatFacts('rgb48be'), { bitDepth: 16, alpha: false, gray: false, family: 'rgb', chroma: 444 });
  assert.deepEqual(pixelFormatFacts('gray16le'), { bitDepth: 16, alpha: false, gray: true, family: 'gray', chroma: 444 });
  assert.equal(pixelFormatFacts('gbrp10le').bitDepth, 10);
  assert.equal(pixelFormatFacts('rgba').alpha, true);
  assert.equal(pixelFormatFacts('nv12').chroma, 420);
  assert.deepEqual(rawFormatFor(pixelFormatFacts('yuv420p')), { pixFmt: 'rgb24', channels: 3, bitDepth: 8 });
  assert.deepEqual(rawFormatFor(pixelFormatFacts('yuv422p10le')), { pixFmt: 'rgb48le', channels: 3, bitDepth: 16 });
  assert.deepEqual(rawFormatFor(pixelFormatFacts('gray16be')), { pixFmt: 'gray16le', channels: 1, bitDepth: 16 });
  assert.deepEqual(rawFormatFor(pixelFormatFacts('rgba64le')), { pixFmt: 'rgba64le', channels: 4, bitDepth: 16 });
});

test('output pixel formats keep the source first, never a lower depth before every same-or-deeper one', () => {
  const c = pixelFormatCandidates('yuv420p10le', pixelFormatFacts('yuv420p10le'));
  assert.equal(c[0], 'yuv420p10le');
  assert.ok(c.indexOf('yuv420p12le') < c.indexOf('yuv420p'), 'deeper before shallower');
  assert.ok(!c.slice(0, c.indexOf('gbrp16le')).includes('yuv420p'));
  const rgb16 = pixelFormatCandidates('rgb48be', pixelFormatFacts('rgb48be'));
  assert.ok(rgb16.indexOf('rgb48le') < rgb16.indexOf('rgb24') || !rgb16.includes('rgb24'));
});

test('containers: FFV1 in Matroska, h264 in the input\'s own container where it fits', () => {
  assert.equal(containerFor('ffv1', '.mp4'), 'mkv');
  assert.equal(containerFor('h264', '.mp4'), 'mp4');
  assert.equal(containerFor('h264', '.M4V'), 'mp4');
  assert.equal(containerFor('h265', '.avi'), 'mkv');
  assert.equal(containerFor('prores', '.mkv'), 'mov');
  assert.ok(isVideoPath('/a/b/Clip.MOV') && !isVideoPath('x.png'));
});

test('sequences: a pattern or a folder, numbering and padding kept, gaps listed', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'subpixel-seq-'));
  try {
    for (const n of [7, 8, 9, 11, 12]) await writeFile(join(dir, `scan_${String(n).padStart(6, '0')}.dpx`), '');
    await writeFile(join(dir, 'notes.txt'), '');
    await writeFile(join(dir, 'cover.png'), '');
    const fromPattern = await sequenceFromPattern(join(dir, 'scan_%06d.dpx'));
    const fromFolder = await sequenceInFolder(dir);
    for (const seq of [fromPattern, fromFolder!]) {
      assert.deepEqual(seq.numbers, [7, 8, 9, 11, 12]);
      assert.deepEqual(seq.gaps, [[10, 10]]);
      assert.equal(sequencePattern(seq), 'scan_%06d.dpx');
      assert.equal(frameName(seq, 10), 'scan_000010.dpx');
    }
    assert.match(describeGaps(fromPattern), /^1 frame missing in scan_%06d\.dpx \(10\)$/);
    await assert.rejects(sequenceFromPattern(join(dir, 'other_%04d.dpx')), /no frames match/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
