/** Facts about the machine and transport, asked once. */
import type { SystemInfo } from '../../src-common/api.js';
import { call } from '../lib/client.js';

class SystemStore {
  info = $state.raw<SystemInfo | null>(null);
  async load(): Promise<void> {
    this.info = await call('system.info', {});
  }
  get electron(): boolean {
    return this.info?.transport === 'electron';
  }
}

export const system = new SystemStore();
