/** The queue as the API reports it: items in order, overall summary, thumbnails (with source sizes) fetched once per item. */
import type { QueueItem, QueueSummary } from '../../src-common/api.js';
import { call, on } from '../lib/client.js';

class QueueStore {
  items = $state.raw<QueueItem[]>([]);
  summary = $state.raw<QueueSummary | null>(null);
  /** Per item: its thumbnail and source size; null when the image could not be read. Absent while loading. */
  thumbs = $state<Record<string, { url: string; source: { width: number; height: number } } | null>>({});
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
    // Fetched as soon as an item is known, so a row is never blank when its image finishes.
    this.loadThumb(item);
    const at = this.items.findIndex((i) => i.id === item.id);
    if (at === -1) this.items = [...this.items, item];
    else this.items = this.items.with(at, item);
  }

  /** Thumbnail and source size of an item, fetched on first use; undefined while loading, null when unreadable. */
  thumb(item: QueueItem): { url: string; source: { width: number; height: number } } | null | undefined {
    this.loadThumb(item);
    return this.thumbs[item.id];
  }

  private loadThumb(item: QueueItem): void {
    if (item.id in this.thumbs || this.pendingThumbs.has(item.id)) return;
    this.pendingThumbs.add(item.id);
    call('files.thumbnail', { path: item.input, size: 112 })
      .then((image) => { this.thumbs[item.id] = { url: image.dataUrl, source: image.source }; })
      .catch(() => { this.thumbs[item.id] = null; })
      .finally(() => this.pendingThumbs.delete(item.id));
  }
}

export const queue = new QueueStore();
