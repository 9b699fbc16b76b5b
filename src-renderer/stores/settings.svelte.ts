/** App settings (job defaults, engine, theme), kept in step with the settings.changed event. */
import type { AppSettings, SettingsPatch } from '../../src-common/api.js';
import { call, on } from '../lib/client.js';

class SettingsStore {
  value = $state.raw<AppSettings | null>(null);

  start(): () => void {
    const off = on('settings.changed', ({ settings }) => { this.value = settings; });
    void call('settings.get', {}).then((s) => { this.value = s; });
    return off;
  }

  async update(patch: SettingsPatch): Promise<void> {
    this.value = await call('settings.set', { patch });
  }
}

export const settings = new SettingsStore();
