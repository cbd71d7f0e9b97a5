/** An API error with Toxiproxy's body shape: {"error": message, "status": code}. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
  toJSON(): { error: string; status: number } {
    return { error: this.message, status: this.status };
  }
}

export const proxyNotFound = (): ApiError => new ApiError('proxy not found', 404);
export const proxyExists = (): ApiError => new ApiError('proxy already exists', 409);
export const toxicNotFound = (): ApiError => new ApiError('toxic not found', 404);
export const toxicExists = (): ApiError => new ApiError('toxic already exists', 409);
