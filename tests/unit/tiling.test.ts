import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planTiles, splitTile, tileSizeForBudget, isOutOfMemory, bytesPerTilePixel } from '../../src-main/engine/tiling.js';
import { classicEspcn, receptiveRadius } from '../../src-main/engine/models/spec.js';

function coverage(width: number, height: number, tiles: ReturnType<typeof planTiles>): Uint8Array {
  const seen = new Uint8Array(width * height);
  for (const t of tiles) for (let y = t.y; y < t.y + t.height; y++) for (let x = t.x; x < t.x + t.width; x++) seen[y * width + x]++;
  return seen;
}

describe('planTiles', () => {
  for (const [w, h, size] of [[100, 37, 16], [1, 50, 8], [50, 1, 8], [1, 1, 64], [64, 64, 64], [65, 63, 32]] as const) {
    it(`covers ${w}x${h} with ${size}px tiles exactly once, halos inside the image`, () => {
      const halo = 4;
      const tiles = planTiles(w, h, size, halo);
      assert.ok(coverage(w, h, tiles).every((n) => n === 1));
      for (const t of tiles) {
        assert.ok(t.inX >= 0 && t.inY >= 0 && t.inX + t.inWidth <= w && t.inY + t.inHeight <= h);
        assert.equal(t.x - t.inX, Math.min(halo, t.x));
        assert.equal(t.y - t.inY, Math.min(halo, t.y));
        assert.equal(t.inX + t.inWidth - (t.x + t.width), Math.min(halo, w - t.x - t.width));
      }
    });
  }

  it('on a 2x2 grid (pixel unshuffle) every haloed input starts on the grid, also after a split', () => {
    for (const [w, h, size, halo] of [[101, 37, 16, 5], [65, 63, 7, 6], [1, 9, 3, 3]] as const) {
      const tiles = planTiles(w, h, size, halo, 2);
      assert.ok(coverage(w, h, tiles).every((n) => n === 1));
      const parts = tiles.flatMap((t) => splitTile(t, halo, w, h, 2));
      assert.ok(coverage(w, h, parts).every((n) => n === 1));
      for (const t of [...tiles, ...parts]) {
        assert.equal(t.inX % 2, 0, `${w}x${h}: tile at ${t.x},${t.y} reads from column ${t.inX}`);
        assert.equal(t.inY % 2, 0, `${w}x${h}: tile at ${t.x},${t.y} reads from row ${t.inY}`);
        assert.ok(t.x - t.inX >= Math.min(halo, t.x) && t.inX + t.inWidth >= Math.min(w, t.x + t.width + halo));
      }
    }
  });

  it('rejects an empty image', () => {
    assert.throws(() => planTiles(0, 10, 8, 2), /empty image/);
  });

  it('splitTile quarters a tile and keeps exact coverage', () => {
    const [tile] = planTiles(64, 40, 64, 4);
    const parts = splitTile(tile, 4, 64, 40);
    assert.equal(parts.length, 4);
    assert.ok(coverage(64, 40, parts).every((n) => n === 1));
  });
});

describe('tile size from a memory budget', () => {
  it('grows with the budget and stays within bounds', () => {
    const spec = classicEspcn(4);
    const small = tileSizeForBudget(spec, 64 * 1024 * 1024);
    const large = tileSizeForBudget(spec, 1024 * 1024 * 1024);
    assert.ok(small < large, `${small} < ${large}`);
    assert.ok(small >= 32 && large <= 1024);
    const edge = large + 2 * receptiveRadius(spec);
    assert.ok(edge * edge * bytesPerTilePixel(spec) <= 1024 * 1024 * 1024);
  });

  it('recognises out-of-memory errors and nothing else', () => {
    assert.ok(isOutOfMemory(new Error('Failed to allocate memory for requested buffer of size 123')));
    assert.ok(isOutOfMemory(new RangeError('Array buffer allocation failed')));
    assert.ok(!isOutOfMemory(new Error('input has 3 values, 2x2x1 needs 4')));
  });
});
