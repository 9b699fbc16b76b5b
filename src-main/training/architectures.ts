/**
 * The architectures the trainer builds. Both deploy as a plain ArchitectureSpec (see engine/models/spec.ts).
 * - 'espcn': the classic network (5-3-3, widths 64/32, tanh), our honest baseline.
 * - 'efficient': 3x3 convs with PReLU and a nearest-neighbour residual skip, trained with re-parameterisable
 *   edge-oriented blocks (reparam.ts) that collapse into those plain convs. Four of width 32 by default, which learn
 *   fastest; the shipped x3 and x4 are eleven of width 16 (same MACs), which trail for ~15 000 steps and then
 *   overtake (models/TRAINING.md).
 */
import { macsPerPixel, type Activation, type ArchitectureSpec, type Scale, type SkipKind } from '../engine/models/spec.js';

export type ArchName = 'espcn' | 'efficient';
export const ARCH_NAMES: ArchName[] = ['espcn', 'efficient'];

/** The budget the issue sets for Y models: no more multiply-accumulates per LR pixel than classic ESPCN (~25k). */
export const MAX_MACS_PER_PIXEL = 25_000;

/**
 * `widths` gives another depth/width of 'efficient' (all 3x3 convs), `skip` its residual skip (nearest by default),
 * `unshuffle` runs its convs at half size (spec.ts), within the same MAC budget; `activation` its hidden activation (PReLU by default; Relu is the one ONNX Runtime fuses
 * into its blocked CPU convs, see models/TRAINING.md).
 */
export function architectureFor(arch: ArchName, scale: Scale, channels: 1 | 3 = 1, widths?: number[], skip?: SkipKind, activation: Activation = 'prelu', unshuffle?: 2): ArchitectureSpec {
  if ((widths || skip || unshuffle || activation !== 'prelu') && arch !== 'efficient') throw new Error(`only 'efficient' takes other widths, skips, unshuffles or activations`);
  const efficientWidths = widths ?? [32, 32, 32];
  const spec: ArchitectureSpec = arch === 'espcn'
    ? { name: 'espcn', scale, channels, widths: [64, 32], kernels: [5, 3, 3], activation: 'tanh', residual: false }
    : { name: 'efficient', scale, channels, widths: efficientWidths, kernels: efficientWidths.map(() => 3).concat(3), activation, residual: true, ...(skip && skip !== 'nearest' ? { skip } : {}), ...(unshuffle ? { unshuffle } : {}) };
  if (channels === 1 && macsPerPixel(spec) > MAX_MACS_PER_PIXEL) {
    throw new Error(`${arch} x${scale} costs ${macsPerPixel(spec)} MACs per LR pixel, over the ${MAX_MACS_PER_PIXEL} budget`);
  }
  return spec;
}

/** Whether the trainer over-parameterises this architecture with collapsible branches. */
export function usesReparam(spec: ArchitectureSpec): boolean {
  return spec.name === 'efficient' && spec.kernels.every((k) => k === 3);
}
