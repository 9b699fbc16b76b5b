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
