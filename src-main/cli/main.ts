import { Command } from 'commander';
import { packageVersion } from '../common/version.js';
import { registerUpscaleCommand } from './upscale.js';
import { registerEvalCommand } from './eval.js';
import { registerInfoCommand } from './info.js';
import { registerServeCommand } from './serve.js';

const program = new Command()
  .name('subpixel')
  .description('Batch image super-resolution: upscale, evaluate, train, watch folders, serve the app')
  .version(packageVersion())
  .showHelpAfterError();

registerUpscaleCommand(program);
registerEvalCommand(program);
registerInfoCommand(program);
registerServeCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  process.stderr.write(`subpixel: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 2;
}
