import { convShapes, slopeCount, type ModelWeights } from './spec.js';

/** Throws when the arrays in `weights` do not have the sizes its spec implies. */
export function checkWeightShapes(weights: ModelWeights): void {
  const shapes = convShapes(weights.spec);
  if (weights.convs.length !== shapes.length) {
    throw new Error(`spec has ${shapes.length} convs, weights have ${weights.convs.length}`);
  }
  shapes.forEach(({ k, inChannels, outChannels }, i) => {
    const c = weights.convs[i];
    const problems: string[] = [];
    if (c.kh !== k || c.kw !== k || c.inChannels !== inChannels || c.outChannels !== outChannels) {
      problems.push(`shape ${c.kh}x${c.kw}x${c.inChannels}x${c.outChannels}, expected ${k}x${k}x${inChannels}x${outChannels}`);
    }
    if (c.kernel.length !== k * k * inChannels * outChannels) problems.push(`kernel has ${c.kernel.length} values`);
    if (c.bias.length !== outChannels) problems.push(`bias has ${c.bias.length} values, expected ${outChannels}`);
    const slopes = slopeCount(weights.spec, i);
    if (slopes && c.alpha?.length !== slopes) problems.push(`${weights.spec.activation} slope needs ${slopes} value${slopes === 1 ? '' : 's'}`);
    if (problems.length) throw new Error(`conv ${i}: ${problems.join('; ')}`);
  });
}
