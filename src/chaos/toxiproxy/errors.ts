/**
The errors the HTTP API answers with, shaped like Toxiproxy's: `{"error": "proxy not found", "status": 404}`.
They never leave the server: the API turns each into a response. The messages are Toxiproxy's own,
because clients and people match on them (`proxy already exists`, `toxic not found`).
*/
export class ApiError extends Error {
  readonly status: number;
  constructor(message: string, status: number) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
  }

  toJSON(): { error: string; status: number } {
    return { error: this.message, status: this.status };
  }
}

export const badRequestBody = (detail: string): ApiError => new ApiError(`bad request body: ${detail}`, 400);
export const missingField = (field: string): ApiError => new ApiError(`missing required field: ${field}`, 400);
export const proxyNotFound = (): ApiError => new ApiError('proxy not found', 404);
export const proxyAlreadyExists = (): ApiError => new ApiError('proxy already exists', 409);
export const invalidStream = (): ApiError => new ApiError('stream was invalid, can be either upstream or downstream', 400);
export const invalidToxicType = (): ApiError => new ApiError('invalid toxic type', 400);
export const toxicAlreadyExists = (): ApiError => new ApiError('toxic already exists', 409);
export const toxicNotFound = (): ApiError => new ApiError('toxic not found', 404);
/** Anything that is not one of the above answers 500, as Toxiproxy does for a failed listen. */
export const internalError = (message: string): ApiError => new ApiError(message, 500);

/** A JSON value as an error message shows it: `"100"`, `1.5`, `null`, `{"a":1}`, or `an array`. */
export function describeJson(value: unknown): string {
  return Array.isArray(value) ? 'an array' : (JSON.stringify(value) ?? String(value));
}

/** A request body that must be a JSON object; anything else is a 400. */
export function objectBody(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequestBody(`expected a JSON object, got ${describeJson(body)}`);
  return body as Record<string, unknown>;
}
