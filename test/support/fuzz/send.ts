import { request as httpRequest } from 'node:http';
import type { FuzzRequest } from './requests.js';

/** What came of a request: an answer, or the error that stood for one. */
export interface Outcome {
  /** Where the request stands in the run's sequence. */
  readonly index: number;
  readonly request: FuzzRequest;
  readonly status?: number;
  readonly contentType?: string;
  readonly text?: string;
  readonly error?: string;
}

/** Sends `request` to the API at `baseUrl`; no answer within `timeoutMs` is an error, as it is a hang. */
export async function send(baseUrl: string, request: FuzzRequest, index: number, timeoutMs: number): Promise<Outcome> {
  try {
    if (request.transport === 'http') return { index, request, ...(await sendRaw(baseUrl, request, timeoutMs)) };
    const headers = new Headers();
    for (const [name, value] of Object.entries(request.headers)) for (const one of [value].flat()) headers.append(name, one);
    const response = await fetch(`${baseUrl}${request.path}`, {
      method: request.method,
      headers,
      ...(request.body === undefined ? {} : { body: request.body }),
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = Buffer.from(await response.arrayBuffer()).toString('utf8');
    return { index, request, status: response.status, contentType: response.headers.get('content-type') ?? '', text };
  } catch (error) {
    return { index, request, error: describeError(error) };
  }
}

function sendRaw(baseUrl: string, request: FuzzRequest, timeoutMs: number): Promise<{ status: number; contentType: string; text: string }> {
  const url = new URL(baseUrl);
  const body = request.body === undefined ? undefined : Buffer.from(request.body);
  // A connection of its own, with the length stated: node:http sends a GET's or HEAD's body without one, which the
  // server would read as the next request on a shared connection.
  const headers = { ...request.headers, ...(body === undefined ? {} : { 'content-length': String(body.length) }) };
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      { host: url.hostname, port: url.port, method: request.method, path: request.path, headers, agent: false, timeout: timeoutMs },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            contentType: String(response.headers['content-type'] ?? ''),
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        response.on('error', reject);
      },
    );
    outgoing.on('timeout', () => outgoing.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

/** An error in one line, with its cause: fetch hides what went wrong with the connection there. */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? ` (${error.cause.message})` : '';
  return `${error.name}: ${error.message}${cause}`;
}

/**
 * Runs `work` over the indices below `count`, started in index order with at most `limit` in flight; the results come
 * as they finish. None starts once `deadline` (epoch ms) has passed, so that a slow server shows as a short count
 * rather than as a test timeout.
 */
export async function runBounded<T>(count: number, limit: number, deadline: number, work: (index: number) => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < count && Date.now() < deadline) {
      const index = next++;
      results.push(await work(index));
    }
  };
  await Promise.all(Array.from({ length: limit }, lane));
  return results;
}
