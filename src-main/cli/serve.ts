import { InvalidArgumentError, type Command } from 'commander';
import { isLoopbackHost } from '../server/auth.js';
import { startBrowserMode } from '../server/serve-app.js';
import { escapeControl } from '../common/sticky-log.js';
import type { LogEntry } from '../jobs/types.js';

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidArgumentError('must be an integer from 0 to 65535');
  return port;
}

interface ServeFlags {
  port: number;
  host: string;
  allow?: string[];
  static?: string;
}

/** `subpixel serve`: the app in a browser. Stdout's last line before serving is the URL with the access token. */
export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('serve the Subpixel UI and its API to a browser (loopback only unless --host says otherwise)')
    .option('-p, --port <n>', 'port to listen on (0 = any free port)', parsePort, 0)
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--allow <folders...>', 'a folder the UI may read and write besides your home folder (repeatable)')
    .option('--static <folder>', 'renderer build to serve (default: the built renderer, else a placeholder page)')
    .action(async (flags: ServeFlags) => {
      if (!isLoopbackHost(flags.host)) {
        console.error(`warning: listening on ${flags.host}: anyone who can reach this address and has the URL's token can use Subpixel`);
      }
      const app = await startBrowserMode({
        host: flags.host,
        port: flags.port,
        allow: flags.allow,
        ...(flags.static ? { staticDir: flags.static } : {}),
      });
      const stop = (signal: NodeJS.Signals): void => {
        console.error(`${signal}: stopping (running items stay queued)`);
        app.stop().then(() => process.exit(0), (error: unknown) => {
          console.error(`error while stopping: ${(error as Error).message}`);
          process.exit(1);
        });
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      // Log entries (recoveries at start included: they are replayed to listeners that attach late) go to stderr too.
      const print = (e: LogEntry): void => console.error(`${e.level}: ${escapeControl(e.message)}`);
      for (const note of app.services.lock.notes) console.error(`warning: ${note}`);
      for (const emitter of [app.services.queue, app.services.watch, app.services.settings, app.services.training]) emitter.on('log', print);
      process.stdout.write(`${app.server.url}\n`);
    });
}
