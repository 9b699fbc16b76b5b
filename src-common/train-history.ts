/** Thinning of a training job's loss history. Zod-free on purpose: the renderer imports it as a value. */

/** Most points a job's loss history keeps; both ends thin it the same way (thinTrainHistory). */
export const MAX_TRAIN_HISTORY = 400;

/** Past the limit, keeps every point with a validation score, every other plain one, and the newest. */
export function thinTrainHistory<T extends { valPsnr?: number }>(history: T[]): T[] {
  if (history.length <= MAX_TRAIN_HISTORY) return history;
  return history.filter((point, i) => point.valPsnr !== undefined || i % 2 === 0 || i === history.length - 1);
}
