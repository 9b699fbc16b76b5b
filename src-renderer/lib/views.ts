export type View = 'queue' | 'watch' | 'models' | 'settings' | 'system';

/** What the before/after viewer shows: a finished queue item, or a crop of any image previewed with a model. */
export type CompareTarget =
  | { kind: 'item'; id: string; input: string; title: string; model: string; sourceSize?: { width: number; height: number } }
  | { kind: 'preview'; path: string; scale: 2 | 3 | 4; model?: string; title: string };
