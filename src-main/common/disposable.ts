/**
 * Setup and teardown in one place (VS Code's DisposableStore is the model): whatever a setup opens is added to a
 * store as soon as it exists, so a later step that throws closes everything before it, in reverse order, and a
 * normal shutdown is the same `dispose()`.
 */

export type Teardown = () => void | Promise<void>;

export class DisposableStore {
  private readonly teardowns: Teardown[] = [];
  private disposing: Promise<void> | null = null;

  /** Registers how to close `value` and returns it, so an opening line reads `const x = store.add(await open(), (x) => x.close())`. */
  add<T>(value: T, close: (value: T) => void | Promise<void>): T {
    this.defer(() => close(value));
    return value;
  }

  /** Registers a teardown. */
  defer(teardown: Teardown): void {
    if (this.disposing) {
      // Added after dispose began (a setup racing a shutdown): close it at once rather than leak it.
      void Promise.resolve().then(teardown).catch(() => undefined);
      return;
    }
    this.teardowns.push(teardown);
  }

  /**
   * Runs every teardown, newest first; each runs even when one before it fails, and the first failure is thrown at
   * the end. Calling it again returns the same promise.
   */
  dispose(): Promise<void> {
    this.disposing ??= (async () => {
      let failure: { error: unknown } | null = null;
      while (this.teardowns.length) {
        const teardown = this.teardowns.pop()!;
        try {
          await teardown();
        } catch (error) {
          failure ??= { error };
        }
      }
      if (failure) throw failure.error;
    })();
    return this.disposing;
  }
}

/**
 * Runs a setup with a fresh store: on success the store comes back with the result (its owner disposes it later);
 * when the setup throws, the store is disposed first and the setup's error is rethrown.
 */
export async function withDisposables<T>(setup: (store: DisposableStore) => Promise<T>): Promise<{ value: T; store: DisposableStore }> {
  const store = new DisposableStore();
  try {
    return { value: await setup(store), store };
  } catch (error) {
    await store.dispose().catch(() => undefined);
    throw error;
  }
}
