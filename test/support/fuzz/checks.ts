import type { FuzzRequest, FuzzTarget } from './requests.js';
import type { Outcome } from './send.js';

// What the fuzz test holds each answer to, and how it shows one that fails.

/** The routes that take events, where a 2xx has to name the workflows it started. */
export const SENDING_ROUTE = /^\/v1\/(?:events|events\/batch|sources\/[^/?]+|events\/[^/?]+\/redeliver)\/?(?:\?.*)?$/;

export const succeeded = (outcome: Outcome): boolean => (outcome.status ?? 0) >= 200 && (outcome.status ?? 0) < 300;

/** Why an error answer is not a problem body, or `undefined` if it is one. */
export function problemBodyFault(outcome: Outcome): string | undefined {
  const { status, contentType = '', text = '', request } = outcome;
  if (!/^application\/problem\+json/i.test(contentType)) return `content-type is "${contentType}"`;
  if (request.method === 'HEAD') return undefined;
  let body: { type?: unknown; title?: unknown; status?: unknown };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    return 'body is not JSON';
  }
  if (body === null || typeof body !== 'object') return 'body is not an object';
  if (typeof body.type !== 'string' || typeof body.title !== 'string') return 'type or title missing';
  if (body.status !== status) return `status ${String(body.status)} in a ${String(status)} answer`;
  return undefined;
}

/** The workflow ids a 2xx answer names for the events it took, or why it names none. */
export function acceptedWorkflowIds(outcome: Outcome): { ids: string[]; fault?: string } {
  interface Item {
    status?: unknown;
    workflow_id?: unknown;
  }
  let body: (Item & { accepted?: unknown; data?: Item[] }) | null;
  try {
    body = JSON.parse(outcome.text ?? '') as typeof body;
  } catch {
    return { ids: [], fault: 'a 2xx to a sending route without a JSON body' };
  }
  if (typeof body?.workflow_id === 'string') return { ids: [body.workflow_id] };
  if (Array.isArray(body?.data)) {
    const taken = body.data.filter((item) => item?.status === 'accepted' || item?.status === 'replayed');
    const ids = taken.map((item) => item?.workflow_id).filter((id): id is string => typeof id === 'string');
    if (ids.length !== taken.length) return { ids, fault: 'a batch item accepted without a workflow_id' };
    if (typeof body.accepted !== 'number' || body.accepted !== taken.length)
      return { ids, fault: `"accepted": ${String(body.accepted)} for ${taken.length} taken` };
    return { ids };
  }
  return { ids: [], fault: 'a 2xx to a sending route without workflow_id' };
}

/** Why a request that was let in should not have been, or `undefined`. Repeated headers count by their first value. */
export function credentialFault(request: FuzzRequest, target: FuzzTarget): string | undefined {
  const path = request.path.split('?')[0] ?? '';
  const header = (name: string): string => [request.headers[name] ?? ''].flat()[0] ?? '';
  if (!path.startsWith('/v1')) return undefined;
  if (request.method === 'POST' && /^\/v1\/sources\/[^/]+$/.test(path)) {
    return header('x-webhook-secret') === target.sourceSecret ? undefined : 'a source call let in without its secret';
  }
  return validKey(target).test(header('authorization')) ? undefined : 'let in without a valid key';
}

/** An authorization header that carries the key, give or take case and spaces. */
function validKey(target: FuzzTarget): RegExp {
  return new RegExp(`^Bearer +${target.apiKey.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} *$`, 'i');
}

/** A request and its answer, cut short, with `note` saying what is wrong with them. */
export function show(outcome: Outcome, note?: string): string {
  const { request } = outcome;
  const body = request.body === undefined ? '' : ` body(${request.body.length})=${JSON.stringify(String(request.body).slice(0, 300))}`;
  const headers = JSON.stringify(request.headers).slice(0, 400);
  const answer =
    outcome.error ?? `${String(outcome.status)} ${outcome.contentType ?? ''} ${JSON.stringify((outcome.text ?? '').slice(0, 400))}`;
  return `#${outcome.index} [${request.kind}/${request.transport}] ${request.method} ${request.path.slice(0, 300)} headers=${headers}${body}\n    → ${answer}${note ? `\n    ✗ ${note}` : ''}`;
}
