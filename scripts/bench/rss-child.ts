// Child process for the memory benchmark (and tests/integration/streamed-output.test.ts): one upscale, then this process's
// peak RSS, and what it was before the upscale (Node, tsx and the engine's modules loaded).
import { readFileSync } from 'node:fs';
import { upscaleFile } from '../../src-main/engine/upscale.js';

/**
 * Peak resident memory of this process. On Linux, VmHWM of the process's own address space: getrusage's maxrss
 * survives exec and would report the parent's (the benchmark's) high-water mark when that one was larger.
 */
function peakRssBytes(): number {
  try {
    const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    if (hwm) return Number(hwm[1]) * 1024;
  } catch { /* not Linux */ }
  return process.resourceUsage().maxRSS * 1024;
}

const [input, output, model] = process.argv.slice(2);
const startRssBytes = peakRssBytes();
const started = performance.now();
const result = await upscaleFile(input, output, { model });
process.stdout.write(`${JSON.stringify({
  ms: performance.now() - started,
  width: result.width,
  height: result.height,
  startRssBytes,
  maxRssBytes: peakRssBytes(),
})}\n`);
