/** Learning-rate schedules: a pure function of the step, so resuming needs no schedule state. */
export type ScheduleName = 'constant' | 'cosine' | 'step';

export interface ScheduleOptions {
  schedule: ScheduleName;
  lr: number;
  /** Cosine floor (default lr/100). */
  lrMin?: number;
  /** Linear warm-up steps from 0 (default 0). */
  warmupSteps?: number;
  /** 'step': multiply by stepGamma every stepEvery steps. */
  stepEvery?: number;
  stepGamma?: number;
}

export function learningRate(o: ScheduleOptions, step: number, totalSteps: number): number {
  const warm = o.warmupSteps ?? 0;
  const factor = warm > 0 && step < warm ? (step + 1) / warm : 1;
  switch (o.schedule) {
    case 'constant': return o.lr * factor;
    case 'step': return o.lr * factor * (o.stepGamma ?? 0.5) ** Math.floor(step / Math.max(1, o.stepEvery ?? Math.ceil(totalSteps / 4)));
    case 'cosine': {
      const lrMin = o.lrMin ?? o.lr / 100;
      const t = Math.min(1, step / Math.max(1, totalSteps));
      return (lrMin + 0.5 * (o.lr - lrMin) * (1 + Math.cos(Math.PI * t))) * factor;
    }
    default: throw new Error(`unknown schedule "${String(o.schedule)}"`);
  }
}
