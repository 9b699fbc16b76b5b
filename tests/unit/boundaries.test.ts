import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { findViolations, importsOf, listSourceFiles } from '../../scripts/boundaries.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

test('the source tree keeps its import boundaries', () => {
  const scanned = listSourceFiles(repo);
  assert.ok(scanned.length > 100 && scanned.some((f) => f.endsWith('.svelte')) && scanned.some((f) => f.includes('src-common')),
    `scanned only ${scanned.length} files`);
  const violations = findViolations(repo).map((v) => `${v.rule}: ${v.file} imports '${v.specifier}': ${v.message}`);
  assert.deepEqual(violations, []);
});

test('imports are found in every form the code uses', () => {
  const code = `
    import a from './a.js';
    import type { B } from "./b.js";
    import {
      c,
      d,
    } from './cd.js';
    export { e } from './e.js';
    export * from './f.js';
    const g = await import('./g.js');
    type H = import('./h.js').H;
    const i = require('./i.cjs');
    // import nothing from './comment.js'
    const s = "import x from './string.js'";
  `;
  assert.deepEqual(importsOf(code, 'x.ts').map((i) => i.specifier), ['./a.js', './b.js', './cd.js', './e.js', './f.js', './g.js', './h.js', './i.cjs']);
  assert.deepEqual(importsOf(code, 'x.ts').filter((i) => i.typeOnly).map((i) => i.specifier), ['./b.js', './h.js']);
  // An inline type specifier still leaves the import behind under verbatimModuleSyntax: it counts as a value import.
  assert.deepEqual(importsOf(`import { type A } from './a.js'; export type { B } from './b.js';`, 'y.ts').map((i) => i.typeOnly), [false, true]);
});

test('each rule catches a file that breaks it', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'subpixel-boundaries-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  const files: Record<string, string> = {
    // allowed: the baseline that must stay quiet
    'src-common/ok.ts': `import { z } from 'zod'; import { x } from './other.js'; export const y = z.string();`,
    'src-common/other.ts': `export const x = 1;`,
    'src-common/schemas.ts': `import { z } from 'zod'; export const S = z.string();`,
    'src-common/uses-schemas.ts': `import { S } from './schemas.js'; export const T = S;`,
    'src-main/electron/ok.ts': `import { app } from 'electron'; import { q } from '../jobs/queue.js';`,
    'src-main/jobs/queue.ts': `import { readFile } from 'node:fs'; import { u } from '../engine/upscale.js'; import type { J } from '../../src-common/ok.js';`,
    'src-renderer/ok.ts': `import type { Q } from '../src-common/ok.js'; import type { T } from '../src-common/uses-schemas.js'; import { x } from '../src-common/other.js'; import { mount } from 'svelte'; import { f } from './lib/f.js';`,
    'src-renderer/vite.config.ts': `import { fileURLToPath } from 'node:url';`,
    // violations, one per rule
    'src-main/jobs/window.ts': `import { BrowserWindow } from 'electron';`,
    'src-main/engine/upscale.ts': `import type { QueueItem } from '../jobs/types.js';`,
    'src-main/engine/client.ts': `const w = await import('../workers/engine-client.js');`,
    'src-main/training/trainer.ts': `export { api } from '../api/services.js';`,
    'src-common/leaky.ts': `import { join } from 'node:path'; import type { S } from '../src-main/settings/schema.js';`,
    'src-common/fs.ts': `import { readFileSync } from 'fs';`,
    'src-renderer/views/Bad.svelte': `<script lang="ts">\n  import { createHandlers } from '../../src-main/api/handlers.js';\n</script>\n<p>hi</p>`,
    'src-renderer/lib/f.ts': `import { readFile } from 'node:fs/promises'; export const f = 1;`,
    'src-renderer/lib/g.ts': `import { T } from '../../src-common/uses-schemas.js';`,
    'src-main/newthing/x.ts': `export const x = 1;`,
    'src-main/watch/broken.ts': `import { from 'nowhere`,
  };
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), text);
  }

  const found = findViolations(root).map((v) => `${v.rule} ${v.file} ${v.specifier}`).sort();
  assert.deepEqual(found, [
    'common-is-portable src-common/fs.ts fs',
    'common-is-portable src-common/leaky.ts ../src-main/settings/schema.js',
    'common-is-portable src-common/leaky.ts node:path',
    'electron-only-in-electron src-main/jobs/window.ts electron',
    'layers src-main/engine/client.ts ../workers/engine-client.js',
    'layers src-main/engine/upscale.ts ../jobs/types.js',
    'layers src-main/training/trainer.ts ../api/services.js',
    'renderer-bundle-zod-free src-renderer/lib/g.ts ../../src-common/uses-schemas.js',
    'renderer-uses-only-common src-renderer/lib/f.ts node:fs/promises',
    'renderer-uses-only-common src-renderer/views/Bad.svelte ../../src-main/api/handlers.js',
    'unparsable src-main/watch/broken.ts ',
    'unplaced-folder src-main/newthing/x.ts ',
  ]);
});
