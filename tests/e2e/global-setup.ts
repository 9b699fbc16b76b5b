/**
 * Before the suite: build the renderer when its build is missing or older than its sources (so `npx playwright test`
 * and `npm test` both work on a clean clone), and save the small random-weights model every test installs.
 */
import { execFileSync } from 'node:child_process';
import { rendererBuildIsStale } from '../../scripts/renderer-stale.mjs';
import { MODEL_TEMPLATE } from './paths.js';

export default function globalSetup(): void {
  if (rendererBuildIsStale(process.cwd())) {
    console.log('[e2e] building the renderer');
    execFileSync('npx', ['vite', 'build', '--config', 'src-renderer/vite.config.ts', '--logLevel', 'warn'], { stdio: 'inherit' });
  }
  execFileSync(process.execPath, ['--import', 'tsx', 'tests/e2e/make-model.ts', MODEL_TEMPLATE], { stdio: 'inherit' });
}
