/** The queue as the API reports it: items in order, overall summary, thumbnails fetched once per item. */
import type { QueueItem, QueueSummary } from '../../src-common/api.js';
import { call, on } from '../lib/client.js';

class QueueStore {
  items = $state.raw<QueueItem[]>([]);
  summary = $state.raw<QueueSummary | null>(null);
  thumbs = $state<Record<string, string>>({});
  loaded = $state(false);
  private pendingThumbs = new Set<string>();

  start(): () => void {
    const offs = [
      on('queue.item', ({ item }) => this.upsert(item)),
      on('queue.removed', ({ ids }) => {
        const gone = new Set(ids);
        this.items = this.items.filter((i) => !gone.has(i.id));
        // A long-running watch folder removes items for days: their thumbnails go with them.
        for (const id of ids) { delete this.thumbs[id]; this.pendingThumbs.delete(id); }
      }),
      on('queue.order', ({ ids }) => {
        const index = new Map(ids.map((id, i) => [id, i]));
        this.items = [...this.items].sort((a, b) => (index.get(a.id) ?? Infinity) - (index.get(b.id) ?? Infinity));
      }),
      on('queue.progress', ({ summary }) => { this.summary = summary; }),
    ];
    void this.refresh();
    return () => { for (const off of offs) off(); };
  }

  async refresh(): Promise<void> {
    const snapshot = await call('queue.list', {});
    this.items = snapshot.items;
    this.summary = snapshot.summary;
    this.loaded = true;
  }

  upsert(item: QueueItem): void {
    const at = this.items.findIndex((i) => i.id === item.id);
    if (at === -1) this.items = [...this.items, item];
    else this.items = this.items.with(at, item);
  }

  /** Thumbnail data URL for an item, fetched on first use; unreadable images simply get none. */
  thumb(item: QueueItem): string | undefined {
    const cached = this.thumbs[item.id];
    if (cached !== undefined || this.pendingThumbs.has(item.id)) return cached || undefined;
    this.pendingThumbs.add(item.id);
    call('files.thumbnail', { path: item.input, size: 96 })
      .then((image) => { this.thumbs[item.id] = image.dataUrl; })
      .catch(() => { this.thumbs[item.id] = ''; });
    return undefined;
  }
}

export const queue = new QueueStore();
