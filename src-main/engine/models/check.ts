import { convShapes, type ModelWeights } from './spec.js';

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
    const wantsAlpha = weights.spec.activation === 'prelu' && i < weights.spec.widths.length;
    if (wantsAlpha && c.alpha?.length !== outChannels) problems.push(`PReLU alpha needs ${outChannels} values`);
    if (problems.length) throw new Error(`conv ${i}: ${problems.join('; ')}`);
  });
}
