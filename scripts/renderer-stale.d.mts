/** See renderer-stale.mjs. */
export function rendererBuildIsStale(root: string): boolean;
