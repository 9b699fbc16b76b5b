import { CodedError, type ErrorCode } from '../../common/errors.js';

/** Why a model could not be used; the message names the model and the problem. */
export class ModelLoadError extends CodedError {
  constructor(readonly model: string, readonly problem: string, options?: { cause?: unknown; code?: ErrorCode }) {
    super(options?.code ?? 'invalid_input', `cannot load model "${model}": ${problem}`, options);
    this.name = 'ModelLoadError';
  }
}
