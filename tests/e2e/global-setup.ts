/**
 * Before the suite: build the renderer when its build is missing or older than its sources (so `npx playwright test`
 * and `npm test` both work on a clean clone), and save the small random-weights model every test installs.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { MODEL_TEMPLATE } from './paths.js';

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : statSync(full).mtimeMs);
  }
  return newest;
}

export default function globalSetup(): void {
  const built = 'dist-renderer/index.html';
  const sources = [newestMtime('src-renderer'), statSync('src-main/api/contract.ts').mtimeMs];
  if (!existsSync(built) || statSync(built).mtimeMs < Math.max(...sources)) {
    console.log('[e2e] building the renderer');
    execFileSync('npx', ['vite', 'build', '--config', 'src-renderer/vite.config.ts', '--logLevel', 'warn'], { stdio: 'inherit' });
  }
  execFileSync(process.execPath, ['--import', 'tsx', 'tests/e2e/make-model.ts', MODEL_TEMPLATE], { stdio: 'inherit' });
}
