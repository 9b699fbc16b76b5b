/** Shipped and custom models with their scores, in the order the app shows them everywhere. */
import type { ModelInfo } from '../../src-common/api.js';
import { call, on } from '../lib/client.js';
import { sortModels } from '../lib/format.js';

class ModelsStore {
  list = $state.raw<ModelInfo[]>([]);

  start(): () => void {
    const off = on('models.changed', ({ models }) => { this.list = sortModels(models); });
    void this.refresh();
    return off;
  }

  async refresh(): Promise<void> {
    this.list = sortModels((await call('models.list', {})).models);
  }

  byId(id: string | null): ModelInfo | undefined {
    return id ? this.list.find((m) => m.id === id) : undefined;
  }

  forScale(scale: number): ModelInfo[] {
    return this.list.filter((m) => m.scale === scale);
  }

  /** The model a null setting (Automatic) falls back to for a scale, as the services pick it. */
  effective(id: string | null, scale: number): ModelInfo | undefined {
    return this.byId(id) ?? this.list.find((m) => m.scale === scale && m.isDefault) ?? this.list.find((m) => m.scale === scale);
  }
}

export const models = new ModelsStore();
