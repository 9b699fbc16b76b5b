import { existsSync } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import lockfile from 'proper-lockfile';

/** The lock a fine-tune holds on the model folder it writes (a folder proper-lockfile keeps fresh while it runs). */
export const MODEL_FOLDER_LOCK = '.subpixel-writing.lock';

export class ModelFolderError extends Error {
  override readonly name = 'ModelFolderError';
}

/**
 * Claims the folder a fine-tune writes its model into. Refuses while another fine-tune writes it (two runs with one id
 * would interleave checkpoints and weights), and refuses a folder that already holds a model or another run's
 * checkpoint unless `overwrite` (then the old contents go) or `resuming` that very run. Returns the release.
 */
export async function claimModelFolder(dir: string, options: { id: string; overwrite: boolean; resuming: boolean }): Promise<() => Promise<void>> {
  await mkdir(dir, { recursive: true });
  let release: () => Promise<void>;
  try {
    // A live fine-tune refreshes its lock every 5 s; a killed one's goes stale after 10 s and is taken over, so a
    // restart right after a crash waits that out (the retries) instead of being refused.
    release = await lockfile.lock(dir, {
      lockfilePath: join(dir, MODEL_FOLDER_LOCK), realpath: false, stale: 10_000, update: 5_000,
      retries: { retries: 12, factor: 1, minTimeout: 1_000, maxTimeout: 1_000 },
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ELOCKED') throw error;
    throw new ModelFolderError(`another fine-tune is writing the model folder ${dir} (model ${options.id}): wait for it to finish, or choose another --id`);
  }
  try {
    const finished = existsSync(join(dir, 'model.json'));
    const started = existsSync(join(dir, 'checkpoint', 'checkpoint.json'));
    if (!options.resuming && (finished || started)) {
      if (!options.overwrite) {
        throw new ModelFolderError(`model ${options.id} already exists in ${dir} (${finished ? 'a finished model' : 'an unfinished run\'s checkpoint'}): `
          + 'choose another --id, resume it with --resume, or pass --overwrite to replace it');
      }
      for (const name of await readdir(dir)) if (name !== MODEL_FOLDER_LOCK) await rm(join(dir, name), { recursive: true, force: true });
    }
  } catch (error) {
    await release();
    throw error;
  }
  return release;
}
