import { existsSync } from 'node:fs';
import { mkdir, rename } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * The one folder holding all persistent state (queue journal, watch ledger, settings, user models, logs).
 * Precedence: an explicit folder (Electron passes app.getPath('userData')), then $SUBPIXEL_HOME (tests and the CLI
 * isolate runs with it), then the platform's per-user data folder.
 */
export function stateHome(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (explicit) return resolve(explicit);
  if (env.SUBPIXEL_HOME) return resolve(env.SUBPIXEL_HOME);
  return defaultStateHome(process.platform, env);
}

export function defaultStateHome(platform: NodeJS.Platform, env: NodeJS.ProcessEnv = process.env): string {
  const home = env.HOME ?? env.USERPROFILE ?? homedir();
  if (platform === 'win32') return join(env.APPDATA ?? join(home, 'AppData', 'Roaming'), 'Subpixel');
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', 'Subpixel');
  return join(env.XDG_DATA_HOME ?? join(home, '.local', 'share'), 'subpixel');
}

/** Where each service keeps its files inside the state folder. */
export function statePaths(home: string) {
  return {
    home,
    settings: join(home, 'settings.json'),
    queueJournal: join(home, 'queue.jsonl'),
    watches: join(home, 'watches.json'),
    watchLedger: join(home, 'watch-ledger.jsonl'),
    /** Fine-tune jobs, so unfinished ones continue after a restart (services/training-jobs.ts). */
    trainingJobs: join(home, 'training-jobs.json'),
    models: join(home, 'models'),
    /** Files dropped on the page in browser mode (services/uploads.ts). */
    uploads: join(home, 'uploads'),
    logs: join(home, 'logs'),
  };
}

export type StatePaths = ReturnType<typeof statePaths>;

/**
 * Moves the state an earlier app version kept in another folder (Electron's userData on Linux) into `home`, once:
 * only when `home` holds no settings yet and `legacy` does. Returns the entries moved.
 */
export async function moveLegacyState(legacy: string, home: string): Promise<string[]> {
  if (resolve(legacy) === resolve(home)) return [];
  const from = statePaths(legacy);
  const to = statePaths(home);
  if (!existsSync(from.settings) || existsSync(to.settings)) return [];
  await mkdir(home, { recursive: true });
  const moved: string[] = [];
  for (const key of ['queueJournal', 'watches', 'watchLedger', 'trainingJobs', 'models', 'uploads', 'logs', 'settings'] as const) {
    if (!existsSync(from[key]) || existsSync(to[key])) continue;
    await rename(from[key], to[key]);
    moved.push(to[key]);
  }
  return moved;
}
