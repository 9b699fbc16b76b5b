// Child process for the memory benchmark: one upscale, then report this process's peak RSS.
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
const started = performance.now();
const result = await upscaleFile(input, output, { model });
process.stdout.write(`${JSON.stringify({
  ms: performance.now() - started,
  width: result.width,
  height: result.height,
  maxRssBytes: peakRssBytes(),
})}\n`);
