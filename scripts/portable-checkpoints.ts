/**
 * Rewrites checkpoint.json files so their folders are relative to the checkpoint (as saveCheckpoint writes them now):
 * `node --import tsx scripts/portable-checkpoints.ts [checkpoint folders…]` (default: every checkpoint under models/).
 * A dataset path of another checkout's `../shared/datasets/…` is taken as this checkout's own `../shared/datasets/…`.
 * Only checkpoint.json changes; checkpoint.bin and its hash stay as they are.
 */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHECKPOINT_JSON, portableConfig, resolvedConfig } from '../src-main/training/checkpoint.js';
import type { TrainConfig } from '../src-main/training/trainer.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const shared = resolve(repo, '..', 'shared');

function checkpointFolders(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir)) {
    const full = join(dir, entry);
    if (!statSync(full).isDirectory()) continue;
    if (existsSync(join(full, CHECKPOINT_JSON))) out.push(full);
    else checkpointFolders(full, out);
  }
  return out;
}

/** `/any/where/shared/datasets/x` → `<this checkout>/../shared/datasets/x`. */
function localShared(path: string): string {
  const at = path.replace(/\\/g, '/').lastIndexOf('/shared/');
  return at >= 0 ? join(shared, path.slice(at + '/shared/'.length)) : path;
}

const folders = process.argv.length > 2 ? process.argv.slice(2).map((p) => resolve(p)) : checkpointFolders(join(repo, 'models'));
for (const dir of folders) {
  const file = join(dir, CHECKPOINT_JSON);
  const json = JSON.parse(readFileSync(file, 'utf8')) as { config: TrainConfig };
  const absolute = resolvedConfig(json.config, dir);
  const local: TrainConfig = {
    ...absolute,
    hrFolders: absolute.hrFolders.map(localShared),
    ...(absolute.valFolder === undefined ? {} : { valFolder: localShared(absolute.valFolder) }),
  };
  const portable = portableConfig(local, dir);
  if (JSON.stringify(portable) === JSON.stringify(json.config)) continue;
  json.config = portable;
  writeFileSync(file, `${JSON.stringify(json, null, 1)}\n`);
  console.log(`${file}: ${portable.hrFolders.join(', ')}${portable.valFolder ? `; val ${portable.valFolder}` : ''}`);
}
