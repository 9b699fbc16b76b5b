/**
 * Whether dist-renderer/ is missing or older than what it is built from: the renderer's sources and the API contract
 * it imports. Shared by `npm start` (scripts/start.mjs) and the e2e suite's global setup.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function newestMtime(path) {
  if (!statSync(path).isDirectory()) return statSync(path).mtimeMs;
  let newest = 0;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

/** @param {string} root the repository root */
export function rendererBuildIsStale(root) {
  const index = join(root, 'dist-renderer', 'index.html');
  if (!existsSync(index)) return true;
  const sources = [join(root, 'src-renderer'), join(root, 'src-main', 'api', 'contract.ts')].filter((p) => existsSync(p));
  return statSync(index).mtimeMs < Math.max(...sources.map(newestMtime));
}
