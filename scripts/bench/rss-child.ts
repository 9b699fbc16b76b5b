// Child process for the memory benchmark: one upscale, then report this process's peak RSS.
import { upscaleFile } from '../../src-main/engine/upscale.js';

const [input, output, model] = process.argv.slice(2);
const started = performance.now();
const result = await upscaleFile(input, output, { model });
process.stdout.write(`${JSON.stringify({
  ms: performance.now() - started,
  width: result.width,
  height: result.height,
  maxRssBytes: process.resourceUsage().maxRSS * 1024,
})}\n`);
