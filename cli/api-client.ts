/** A refusal or failure of the API, with its problem body when it sent one. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    /** The RFC 9457 problem the API answered with; absent when the answer was not one (a proxy's page, say). */
    readonly problem?: { readonly title?: string; readonly detail?: string; readonly type?: string; readonly errors?: unknown },
  ) {
    super(problem?.detail ?? problem?.title ?? `the API answered ${status}`);
  }
}

/** The API could not be reached at all. */
export class ApiUnreachableError extends Error {
  override readonly name = 'ApiUnreachableError';
}

export interface ApiClientOptions {
  /** The API's base URL, e.g. `http://127.0.0.1:3000`. */
  readonly baseUrl: string;
  readonly apiKey?: string;
  /** How long one request may take. */
  readonly timeoutMs?: number;
}

/** A JSON request to the API. */
export interface ApiRequest {
  readonly method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  readonly path: string;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

/** A 2xx answer: its JSON body, and its headers for what they say beyond it (`idempotent-replayed`). */
export interface ApiResponse<T> {
  readonly body: T;
  readonly headers: Headers;
}

/** Sends requests to the gateway's API and returns their answers; anything but 2xx throws {@link ApiError}. */
export type ApiClient = <T>(request: ApiRequest) => Promise<ApiResponse<T>>;

export function createApiClient(options: ApiClientOptions): ApiClient {
  const base = options.baseUrl.replace(/\/+$/, '');
  return async <T>(request: ApiRequest): Promise<ApiResponse<T>> => {
    const headers: Record<string, string> = { accept: 'application/json, application/problem+json', ...request.headers };
    if (options.apiKey) headers['authorization'] = `Bearer ${options.apiKey}`;
    if (request.body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    let text: string;
    try {
      response = await fetch(`${base}${request.path}`, {
        method: request.method,
        headers,
        ...(request.body !== undefined ? { body: JSON.stringify(request.body) } : {}),
        signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
      });
      text = await response.text();
    } catch (error) {
      const reason = error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error);
      throw new ApiUnreachableError(`cannot reach the API at ${base}: ${reason}`);
    }
    const body = parseJson(text);
    if (!response.ok) throw new ApiError(response.status, typeof body === 'object' && body !== null ? body : undefined);
    return { body: body as T, headers: response.headers };
  };
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
