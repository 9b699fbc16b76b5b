import { Worker, type WorkerOptions } from 'node:worker_threads';
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * Starts a worker thread from a module next to the caller, given as `new URL('./x.js', import.meta.url)`.
 * When running from TypeScript sources (tests, `bin/subpixel.js` without a build) the `.js` file does not
 * exist: a tiny bootstrap registers tsx's loader inside the worker, then imports the `.ts` sibling, so both
 * modes share one code path. (Loader flags in a worker's execArgv are not honoured by Node 20.)
 */
export function startWorker(moduleUrl: URL, options: WorkerOptions = {}): Worker {
  const jsPath = fileURLToPath(moduleUrl);
  if (existsSync(jsPath)) return new Worker(jsPath, options);
  const tsPath = jsPath.replace(/\.js$/, '.ts');
  if (!existsSync(tsPath)) throw new Error(`worker module not found: ${jsPath}`);
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(pathToFileURL(tsPath).href)}); });`;
  return new Worker(bootstrap, { ...options, eval: true });
}

/**
 * Starts `count` workers of one module with the same `workerData` and waits until each has said it is ready (its first
 * message); if any fails to start, all are terminated and the error is thrown.
 */
export async function startReadyWorkers(moduleUrl: URL, count: number, workerData: unknown): Promise<Worker[]> {
  const workers: Worker[] = [];
  try {
    for (let i = 0; i < count; i++) workers.push(startWorker(moduleUrl, { workerData }));
    await Promise.all(workers.map((w) => new Promise<void>((resolve, reject) => {
      w.once('error', reject);
      w.once('message', () => { w.off('error', reject); resolve(); });
    })));
  } catch (error) {
    await Promise.all(workers.map((w) => w.terminate()));
    throw error;
  }
  return workers;
}
