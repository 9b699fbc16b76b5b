/** Facts about the machine and transport, and the folders the API may use. */
import type { AllowedFolder, SystemInfo } from '../../src-common/api.js';
import { call } from '../lib/client.js';
import { notices } from './notices.svelte.js';

class SystemStore {
  info = $state.raw<SystemInfo | null>(null);
  folders = $state.raw<AllowedFolder[]>([]);

  private warned = false;

  async load(): Promise<void> {
    this.info = await call('system.info', {});
    // Recoveries at start (damaged state files, a stale owner taken over) happened before this window connected.
    if (!this.warned) {
      this.warned = true;
      for (const w of this.info.warnings ?? []) notices.push('error', w.message, 20_000);
    }
    this.folders = this.info ? (await call('folders.list', {})).folders : [];
  }

  async allow(path: string): Promise<void> {
    this.folders = (await call('folders.allow', { path })).folders;
  }

  async disallow(path: string): Promise<void> {
    this.folders = (await call('folders.remove', { path })).folders;
  }

  get electron(): boolean {
    return this.info?.transport === 'electron';
  }
}

export const system = new SystemStore();
