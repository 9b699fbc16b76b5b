/** Why a model could not be used; the message names the model and the problem. */
export class ModelLoadError extends Error {
  constructor(readonly model: string, readonly problem: string, options?: { cause?: unknown }) {
    super(`cannot load model "${model}": ${problem}`, options);
    this.name = 'ModelLoadError';
  }
}
