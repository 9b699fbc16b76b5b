/** The app's one API client and a call helper that turns failed results into thrown errors with the API's words. */
import type { ApiError, CommandInput, CommandName, CommandOutput, EventName, EventPayload } from '../../src-common/api.js';
import { createApiClient, type ApiClient } from '../api.js';

let client: ApiClient | null = null;

export function api(): ApiClient {
  client ??= createApiClient();
  return client;
}

export class ApiCallError extends Error {
  readonly code: ApiError['code'];
  readonly details: string[];
  constructor(error: ApiError) {
    // The message already names each problem (the dispatcher writes the details into it): say it once.
    super(error.details?.length && !error.details.every((d) => error.message.includes(d)) ? `${error.message}: ${error.details.join('; ')}` : error.message);
    this.code = error.code;
    this.details = error.details ?? [];
  }
}

export async function call<K extends CommandName>(command: K, input: CommandInput<K>): Promise<CommandOutput<K>> {
  const result = await api().call(command, input);
  if (!result.ok) throw new ApiCallError(result.error);
  return result.value;
}

export function on<K extends EventName>(event: K, listener: (payload: EventPayload<K>) => void): () => void {
  return api().subscribe(event, listener);
}
