/** Watch folders and their recent activity (last files, errors), fed by watch events. */
import type { EventPayload, WatchInfo } from '../../src-common/api.js';
import { call, on } from '../lib/client.js';

export type WatchActivity = EventPayload<'watch.activity'>;
const KEEP = 8;

class WatchStore {
  list = $state.raw<WatchInfo[]>([]);
  activity = $state.raw<Record<string, WatchActivity[]>>({});

  start(): () => void {
    const offs = [
      on('watch.changed', ({ watch }) => this.upsert(watch)),
      on('watch.removed', ({ id }) => { this.list = this.list.filter((w) => w.id !== id); }),
      on('watch.activity', (a) => {
        // Scans and availability flips are status, not files: the card's status line shows them.
        if (a.kind === 'scanned' || a.kind === 'unchanged') return;
        this.activity = { ...this.activity, [a.watchId]: [a, ...(this.activity[a.watchId] ?? [])].slice(0, KEEP) };
      }),
    ];
    void this.refresh();
    return () => { for (const off of offs) off(); };
  }

  async refresh(): Promise<void> {
    this.list = (await call('watch.list', {})).watches;
  }

  upsert(watch: WatchInfo): void {
    const at = this.list.findIndex((w) => w.id === watch.id);
    this.list = at === -1 ? [...this.list, watch] : this.list.with(at, watch);
  }
}

export const watches = new WatchStore();
