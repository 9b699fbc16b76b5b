/** Shipped and custom models with their scores. */
import type { ModelInfo } from '../../src-common/api.js';
import { call, on } from '../lib/client.js';

class ModelsStore {
  list = $state.raw<ModelInfo[]>([]);

  start(): () => void {
    const off = on('models.changed', ({ models }) => { this.list = models; });
    void this.refresh();
    return off;
  }

  async refresh(): Promise<void> {
    this.list = (await call('models.list', {})).models;
  }

  byId(id: string | null): ModelInfo | undefined {
    return id ? this.list.find((m) => m.id === id) : undefined;
  }

  /** The model a null setting means: the first one for the scale, as the services pick it. */
  effective(id: string | null, scale: number): ModelInfo | undefined {
    return this.byId(id) ?? this.list.find((m) => m.scale === scale);
  }
}

export const models = new ModelsStore();
