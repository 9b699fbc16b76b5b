import { z } from 'zod';
import { openJournal, readJournal, type Journal } from '../jobs/journal.js';
import { watchConfigSchema, type WatchConfig } from './types.js';

export const LEDGER_STATES = ['queued', 'done', 'failed', 'skipped', 'canceled', 'removed'] as const;
export type LedgerState = (typeof LEDGER_STATES)[number];

const entrySchema = z.object({
  watchId: z.string(),
  path: z.string(),
  size: z.number(),
  mtimeMs: z.number(),
  hash: z.string(),
  state: z.enum(LEDGER_STATES),
  itemId: z.string().nullable(),
});
export type LedgerEntry = z.infer<typeof entrySchema>;

const recordSchema = z.discriminatedUnion('t', [
  z.object({ t: z.literal('file'), entry: entrySchema }),
  z.object({ t: z.literal('forget'), watchId: z.string(), path: z.string() }),
  z.object({ t: z.literal('output'), path: z.string() }),
  z.object({ t: z.literal('drop'), watchId: z.string() }),
  /** A copy of each watch's config: watches.json lost or damaged must not give a watch a new id (and redo its folder). */
  z.object({ t: z.literal('watch'), config: watchConfigSchema }),
]);
type LedgerRecord = z.infer<typeof recordSchema>;

/**
 * What each watch has taken: per file its size, mtime and content hash, the queue item made from it and how that
 * ended, plus every output path we wrote. Persisted as a journal (compacted on open) so a restart neither takes a
 * file twice nor misses one, and never mistakes our outputs for new inputs even after the queue history is cleared.
 */
export class WatchLedger {
  private readonly files = new Map<string, Map<string, LedgerEntry>>();
  private readonly outputs = new Set<string>();
  private readonly byItem = new Map<string, LedgerEntry>();
  private readonly watches = new Map<string, WatchConfig>();

  private constructor(private readonly journal: Journal<LedgerRecord>, readonly damaged: number) {}

  static async open(path: string): Promise<WatchLedger> {
    const { records, damaged } = await readJournal(path, (v) => {
      const r = recordSchema.safeParse(v);
      return r.success ? r.data : null;
    });
    const files = new Map<string, Map<string, LedgerEntry>>();
    const outputs = new Set<string>();
    const watches = new Map<string, WatchConfig>();
    for (const r of records) {
      if (r.t === 'file') {
        if (!files.has(r.entry.watchId)) files.set(r.entry.watchId, new Map());
        files.get(r.entry.watchId)!.set(r.entry.path, r.entry);
      } else if (r.t === 'forget') files.get(r.watchId)?.delete(r.path);
      else if (r.t === 'output') outputs.add(r.path);
      else if (r.t === 'watch') watches.set(r.config.id, r.config);
      else { files.delete(r.watchId); watches.delete(r.watchId); }
    }
    const snapshot: LedgerRecord[] = [
      ...[...watches.values()].map((config) => ({ t: 'watch' as const, config })),
      ...[...outputs].map((path) => ({ t: 'output' as const, path })),
      ...[...files.values()].flatMap((m) => [...m.values()].map((entry) => ({ t: 'file' as const, entry }))),
    ];
    const ledger = new WatchLedger(await openJournal(path, snapshot), damaged);
    for (const [id, m] of files) ledger.files.set(id, m);
    for (const o of outputs) ledger.outputs.add(o);
    for (const [id, c] of watches) ledger.watches.set(id, c);
    for (const m of files.values()) for (const e of m.values()) if (e.itemId) ledger.byItem.set(e.itemId, e);
    return ledger;
  }

  get(watchId: string, path: string): LedgerEntry | undefined {
    return this.files.get(watchId)?.get(path);
  }

  entries(watchId: string): LedgerEntry[] {
    return [...(this.files.get(watchId)?.values() ?? [])];
  }

  byItemId(itemId: string): LedgerEntry | undefined {
    return this.byItem.get(itemId);
  }

  isOutput(path: string): boolean {
    return this.outputs.has(path);
  }

  async put(entries: LedgerEntry[]): Promise<void> {
    await this.journal.append(entries.map((entry) => ({ t: 'file', entry })));
    for (const e of entries) {
      if (!this.files.has(e.watchId)) this.files.set(e.watchId, new Map());
      const previous = this.files.get(e.watchId)!.get(e.path);
      if (previous?.itemId && previous.itemId !== e.itemId) this.byItem.delete(previous.itemId);
      this.files.get(e.watchId)!.set(e.path, e);
      if (e.itemId) this.byItem.set(e.itemId, e);
    }
  }

  async forget(watchId: string, path: string): Promise<void> {
    const entry = this.get(watchId, path);
    if (!entry) return;
    await this.journal.append([{ t: 'forget', watchId, path }]);
    this.files.get(watchId)?.delete(path);
    if (entry.itemId) this.byItem.delete(entry.itemId);
  }

  async addOutput(path: string): Promise<void> {
    if (this.outputs.has(path)) return;
    await this.journal.append([{ t: 'output', path }]);
    this.outputs.add(path);
  }

  /** The watch configs last recorded here (a second copy of watches.json). */
  watchConfigs(): WatchConfig[] {
    return [...this.watches.values()].map((c) => structuredClone(c));
  }

  async putWatch(config: WatchConfig): Promise<void> {
    const known = this.watches.get(config.id);
    if (known && JSON.stringify(known) === JSON.stringify(config)) return;
    await this.journal.append([{ t: 'watch', config }]);
    this.watches.set(config.id, structuredClone(config));
  }

  async drop(watchId: string): Promise<void> {
    await this.journal.append([{ t: 'drop', watchId }]);
    this.watches.delete(watchId);
    for (const e of this.files.get(watchId)?.values() ?? []) if (e.itemId) this.byItem.delete(e.itemId);
    this.files.delete(watchId);
  }

  close(): Promise<void> {
    return this.journal.close();
  }
}
