/** uPlot's aligned columns from a fine-tune history: steps, loss, and validation PSNR where it was measured. */
export function lossColumns(history: ReadonlyArray<{ step: number; loss: number; valPsnr?: number }>): [number[], Array<number | null>, Array<number | null>] {
  const steps: number[] = [];
  const loss: Array<number | null> = [];
  const psnr: Array<number | null> = [];
  let lastStep = -Infinity;
  for (const point of history) {
    // uPlot needs strictly increasing x; a repeated step replaces the earlier point.
    if (point.step === lastStep) {
      loss[loss.length - 1] = Number.isFinite(point.loss) ? point.loss : null;
      if (point.valPsnr !== undefined) psnr[psnr.length - 1] = point.valPsnr;
      continue;
    }
    if (point.step < lastStep) continue;
    lastStep = point.step;
    steps.push(point.step);
    loss.push(Number.isFinite(point.loss) ? point.loss : null);
    psnr.push(point.valPsnr !== undefined && Number.isFinite(point.valPsnr) ? point.valPsnr : null);
  }
  return [steps, loss, psnr];
}

/**
 * Axis labels with one number of decimals per axis, enough to tell neighbouring ticks apart (from the tick spacing),
 * so a narrow loss range reads 0.0081 0.0082 0.0083 rather than 0.008 three times.
 */
export function tickLabels(splits: readonly number[], increment: number): string[] {
  const step = Number.isFinite(increment) && increment > 0 ? increment : 1;
  const decimals = Math.min(8, Math.max(0, Math.ceil(-Math.log10(step) - 1e-9)));
  return splits.map((v) => (v === null || !Number.isFinite(v) ? '' : v.toFixed(decimals)));
}

/** Tick spacings uPlot may choose for the step axis: whole steps only. */
export const STEP_INCREMENTS = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10_000, 20_000, 25_000, 50_000, 100_000, 200_000, 250_000, 500_000, 1_000_000];
