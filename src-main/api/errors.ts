/** A refused API call with its stable code (shared/api.ts ApiError); transports send it as is. */
export class ApiFailure extends Error {
  readonly code: string;

  constructor(code: string, message: string) {
    super(message);
    this.name = 'ApiFailure';
    this.code = code;
  }
}
