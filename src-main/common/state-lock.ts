import { readFileSync, unlinkSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import lockfile from 'proper-lockfile';
import { z } from 'zod';
import { writeFileAtomic } from './atomic-write.js';

/**
 * One owner per state folder. Two processes replaying and compacting the same queue journal and watch ledger would
 * both run every item and each rewrite the other's files, so the first process to open a state folder owns it until
 * it exits; a second one is refused with a message naming the owner and how to reach it.
 *
 * The owner is recorded in `owner.json` (PID, host, process start time, what it is, its URL when it serves the API).
 * A record left by a process that no longer runs (killed, crashed, power loss) is stale and taken over. Deciding and
 * writing happen under a short proper-lockfile lock, so two processes starting together cannot both take over.
 */

export const ownerSchema = z.object({
  pid: z.number().int(),
  host: z.string(),
  /** Kernel start time of the process (Linux), so a recycled PID is not mistaken for the owner. */
  startTicks: z.string().nullable(),
  /** What holds the folder: 'subpixel watch', 'subpixel serve', 'the Subpixel app'. */
  role: z.string(),
  since: z.string(),
  /** Where the owner's API answers (browser mode): a second process can use it instead. */
  url: z.string().nullable(),
  /** Distinguishes two claims of one process (a test opening the folder twice). */
  claim: z.string(),
});
export type StateOwner = z.infer<typeof ownerSchema>;

export class StateFolderBusyError extends Error {
  override readonly name = 'StateFolderBusyError';
  constructor(readonly home: string, readonly owner: StateOwner) {
    super(describeBusy(home, owner));
  }
}

export interface StateLock {
  readonly home: string;
  readonly owner: StateOwner;
  /** Messages about the claim (a stale owner taken over, a damaged owner record). */
  readonly notes: string[];
  /** Records where the owner's API answers, for a second process's message. */
  setUrl(url: string | null): Promise<void>;
  release(): Promise<void>;
}

export function ownerPath(home: string): string {
  return join(home, 'owner.json');
}

/** Start time of a process in clock ticks since boot (field 22 of /proc/<pid>/stat); null where there is no /proc. */
function processStartTicks(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? null;
  } catch {
    return null;
  }
}

/** Whether the recorded owner still runs. An owner on another host cannot be checked and counts as alive. */
export function ownerAlive(owner: StateOwner): boolean {
  if (owner.host !== hostname()) return true;
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const ticks = processStartTicks(owner.pid);
  return owner.startTicks === null || ticks === null || ticks === owner.startTicks;
}

async function readOwner(home: string): Promise<{ owner: StateOwner | null; damaged: boolean }> {
  let text: string;
  try {
    text = await readFile(ownerPath(home), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { owner: null, damaged: false };
    throw error;
  }
  try {
    return { owner: ownerSchema.parse(JSON.parse(text)), damaged: false };
  } catch {
    return { owner: null, damaged: true };
  }
}

export function describeBusy(home: string, owner: StateOwner): string {
  const where = owner.host === hostname() ? `PID ${owner.pid}` : `PID ${owner.pid} on ${owner.host}`;
  const reach = owner.url
    ? `use it at ${owner.url} (its API serves this state), or stop it first`
    : owner.host === hostname() ? `stop it first (Ctrl+C in its terminal, or kill -TERM ${owner.pid})` : 'stop it first';
  return `the state folder ${home} is in use by ${owner.role} (${where}, since ${owner.since}): ${reach}; `
    + 'or give this process another state folder with SUBPIXEL_HOME';
}

const claimedHere = new Set<string>();

/**
 * Claims `home` for this process. Throws StateFolderBusyError when a live process owns it. The claim is released by
 * `release()`, and on exit of this process (a SIGKILL leaves it behind: stale, taken over by the next owner).
 */
export async function claimStateHome(home: string, role: string): Promise<StateLock> {
  await mkdir(home, { recursive: true });
  const notes: string[] = [];
  const owner: StateOwner = {
    pid: process.pid, host: hostname(), startTicks: processStartTicks(process.pid), role,
    since: new Date().toISOString(), url: null, claim: Math.random().toString(36).slice(2),
  };
  const unlock = await lockfile.lock(home, {
    lockfilePath: join(home, 'owner.json.lock'), realpath: false, stale: 10_000,
    retries: { retries: 40, minTimeout: 25, maxTimeout: 500 },
  });
  try {
    const { owner: previous, damaged } = await readOwner(home);
    if (previous && (claimedHere.has(home) || (ownerAlive(previous) && previous.pid !== process.pid))) {
      throw new StateFolderBusyError(home, previous);
    }
    if (previous) notes.push(`took over the state folder from ${previous.role} (PID ${previous.pid}), which no longer runs`);
    if (damaged) notes.push(`the owner record ${ownerPath(home)} was damaged; replaced it`);
    await writeFileAtomic(ownerPath(home), JSON.stringify(owner, null, 2) + '\n');
  } finally {
    await unlock();
  }
  claimedHere.add(home);

  let released = false;
  const releaseSync = (): void => {
    if (released) return;
    released = true;
    claimedHere.delete(home);
    try {
      const current = ownerSchema.parse(JSON.parse(readFileSync(ownerPath(home), 'utf8')));
      if (current.claim === owner.claim) unlinkSync(ownerPath(home));
    } catch {
      // gone or replaced: nothing of ours to remove
    }
  };
  process.once('exit', releaseSync);
  return {
    home,
    owner,
    notes,
    async setUrl(url) {
      owner.url = url;
      if (!released) await writeFileAtomic(ownerPath(home), JSON.stringify(owner, null, 2) + '\n');
    },
    async release() {
      process.off('exit', releaseSync);
      releaseSync();
    },
  };
}
