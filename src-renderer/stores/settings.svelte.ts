/** App settings (job defaults, engine, theme), kept in step with the settings.changed event. */
import type { AppSettings, SettingsPatch } from '../../src-common/api.js';
import { call, on } from '../lib/client.js';

class SettingsStore {
  value = $state.raw<AppSettings | null>(null);
  /**
   * Changes go out one after another, and adding images waits for them (settled): a scale or model picked just
   * before a drop applies to that drop, and two quick changes land in the order they were made.
   */
  private chain: Promise<unknown> = Promise.resolve();

  start(): () => void {
    const off = on('settings.changed', ({ settings }) => { this.value = settings; });
    void call('settings.get', {}).then((s) => { this.value = s; });
    return off;
  }

  update(patch: SettingsPatch): Promise<void> {
    const run = this.chain.then(async () => { this.value = await call('settings.set', { patch }); });
    this.chain = run.catch(() => {});
    return run;
  }

  /** Resolves once every change made so far has been saved (or failed). */
  settled(): Promise<void> {
    return this.chain.then(() => {});
  }
}

export const settings = new SettingsStore();
