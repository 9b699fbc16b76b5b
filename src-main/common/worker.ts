import { Worker, type WorkerOptions } from 'node:worker_threads';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * Starts a worker thread from a module next to the caller, given as `new URL('./x.js', import.meta.url)`.
 * When running from TypeScript sources (tests, `bin/subpixel.js` without a build) the `.js` file does not
 * exist: the `.ts` sibling is started with tsx's loader instead, so both modes share one code path.
 */
export function startWorker(moduleUrl: URL, options: WorkerOptions = {}): Worker {
  const jsPath = fileURLToPath(moduleUrl);
  if (existsSync(jsPath)) return new Worker(jsPath, options);
  const tsPath = jsPath.replace(/\.js$/, '.ts');
  if (!existsSync(tsPath)) throw new Error(`worker module not found: ${jsPath}`);
  const execArgv = [...(options.execArgv ?? process.execArgv.filter((a) => a !== '--test')), '--import', 'tsx'];
  return new Worker(tsPath, { ...options, execArgv });
}
