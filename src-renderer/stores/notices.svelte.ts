/** Short messages for the user: what failed and why, what happened in the background. */
export interface Notice { id: number; kind: 'error' | 'info'; text: string }

let nextId = 1;

class Notices {
  list = $state<Notice[]>([]);

  push(kind: Notice['kind'], text: string, ttlMs = kind === 'error' ? 9000 : 4000): void {
    const id = nextId++;
    this.list = [...this.list.slice(-3), { id, kind, text }];
    setTimeout(() => this.dismiss(id), ttlMs);
  }

  dismiss(id: number): void {
    this.list = this.list.filter((n) => n.id !== id);
  }
}

export const notices = new Notices();

/** Runs an action and reports its failure as a notice instead of an unhandled rejection. */
export async function attempt<T>(what: string, action: () => Promise<T>): Promise<T | undefined> {
  try {
    return await action();
  } catch (error) {
    notices.push('error', `${what}: ${error instanceof Error ? error.message : String(error)}`);
    return undefined;
  }
}

/** What came of adding images: how many were taken in, which cannot be read, and each path refused with its reason. */
export function reportAdded(outcome: { added: number; unreadable?: string[]; problems: string[] }): void {
  const unreadable = outcome.unreadable ?? [];
  if (outcome.added) notices.push('info', `Added ${outcome.added} image${outcome.added === 1 ? '' : 's'} to the queue.`);
  if (unreadable.length) {
    const names = unreadable.slice(0, 3).join(', ') + (unreadable.length > 3 ? ` and ${unreadable.length - 3} more` : '');
    notices.push('error', `${names} ${unreadable.length === 1 ? 'is' : 'are'} not ${unreadable.length === 1 ? 'a readable image' : 'readable images'}; see the list for why.`);
  }
  for (const problem of outcome.problems.slice(0, 3)) notices.push('error', problem);
  if (outcome.problems.length > 3) notices.push('error', `…and ${outcome.problems.length - 3} more paths were not added.`);
}
