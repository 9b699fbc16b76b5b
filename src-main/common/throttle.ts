/** What `throttleLatest` returns: push values as they come; flush before a final message so none is lost. */
export interface LatestThrottle<T> {
  push(value: T): void;
  /** Sends the value held back, if any, now. */
  flush(): void;
  /** Drops the value held back, if any (on shutdown). */
  cancel(): void;
}

/**
 * Passes on at most one value per interval, always the latest, so a fast producer (a training loop at a thousand
 * steps a second) cannot flood a slower consumer. Values for which `urgent` holds go at once; a value held back goes
 * when its interval ends, so the newest value always arrives.
 */
export function throttleLatest<T>(send: (value: T) => void, intervalMs: number, urgent: (value: T) => boolean = () => false): LatestThrottle<T> {
  let sentAt = -Infinity;
  let pending: { value: T } | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  const drop = (): void => {
    pending = null;
    if (timer) clearTimeout(timer);
    timer = null;
  };
  const emit = (value: T): void => {
    sentAt = performance.now();
    drop();
    send(value);
  };
  return {
    push(value) {
      const wait = intervalMs - (performance.now() - sentAt);
      if (wait <= 0 || urgent(value)) return emit(value);
      pending = { value };
      // unref: a held-back report must not keep the process alive on its own
      timer ??= setTimeout(() => { timer = null; if (pending) emit(pending.value); }, wait).unref();
    },
    flush() {
      if (pending) emit(pending.value);
    },
    cancel: drop,
  };
}
