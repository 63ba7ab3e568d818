import type { Fuzz, FuzzRequest } from './requests.js';
import {
  ID_POOL,
  JSON_TYPE,
  ODD_CONTENT_TYPES,
  encode,
  garbage,
  junkString,
  junkValue,
  mutate,
  serialize,
  unknownId,
  validEvent,
} from './values.js';

// Requests to any route, the real ones and others: wrong methods, junk paths, broken credentials, and what only
// node:http can send.

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;
const ODD_METHODS = ['TRACE', 'PROPFIND', 'SEARCH', 'MKCOL', 'PURGE', 'LOCK'] as const;
const ACTIONS = ['pause', 'resume', 'disable', 'enable', 'deliveries', 'recover', 'test', 'nope', ''] as const;

const JUNK_PATHS = [
  '/',
  '//',
  '/v1',
  '/v1/',
  '/v2/events',
  '/V1/EVENTS',
  '/v1/events/',
  '/v1/events//batch',
  '//v1//events',
  '/v1/events/batch/',
  '/v1/events/../endpoints',
  '/v1/events/%2e%2e/endpoints',
  '/v1/../../../etc/passwd',
  '/..%2f..%2f..%2fetc%2fpasswd',
  '/%2e%2e/%2e%2e/etc/passwd',
  '/v1/events%00',
  '/v1/events%2fbatch',
  '/v1/events;jsessionid=1',
  '/v1/events/%',
  '/v1/events/%E0%A4%A',
  '/v1/events/%ZZ',
  '/v1/events/%C0%AF',
  '/v1/events/%ff%fe',
  '/v1/sources/%',
  '/v1/endpoints/%E0%A4%A/pause',
  '/v1/events/%F0%9F%8E%89',
  '/v1/events/%20',
  '/healthz/',
  '/healthz/../openapi.json',
  '/openapi.json/',
  '/openapi.yaml',
  '/docs',
  '/docs/',
  '/docs/json',
  '/docs/yaml',
  '/docs/static/index.html',
  '/docs/static/../../../package.json',
  '/docs/static/%2e%2e/%2e%2e/package.json',
  '/docs/static/nope.js',
  '/favicon.ico',
  '/robots.txt',
  '/.env',
  '/.git/config',
  '/server-status',
  '/v1/events?a=1&a=2&a[]=3',
  '/v1/events?__proto__[x]=1',
  '/v1/endpoints?constructor[prototype][x]=1',
  '/*',
  '/v1/*',
] as const;

function authorization(f: Fuzz): Record<string, string> {
  const r = f.rng;
  const key = f.target.apiKey;
  return r.weighted<() => Record<string, string>>([
    [10, () => f.auth],
    [2, () => ({})],
    [1, () => ({ authorization: '' })],
    [1, () => ({ authorization: 'Bearer' })],
    [1, () => ({ authorization: 'Bearer ' })],
    [1, () => ({ authorization: `bearer ${key}` })],
    [1, () => ({ authorization: `Bearer   ${key}   ` })],
    [1, () => ({ authorization: `Bearer ${key} extra` })],
    [1, () => ({ authorization: `Bearer ${key.slice(0, -1)}` })],
    [1, () => ({ authorization: `Bearer ${key}x` })],
    [1, () => ({ authorization: `Basic ${Buffer.from(`fuzzer:${key}`).toString('base64')}` })],
    [1, () => ({ authorization: key })],
    [1, () => ({ authorization: `Bearer ${'k'.repeat(r.int(100, 6_000))}` })],
    [1, () => ({ authorization: `Bearer ${r.word(20, 'abc\u00e9\u00ff!#$%&*+-.^_|~')}` })],
    [1, () => ({ authorization: `Token ${key}` })],
  ])();
}

/** An event id for a path: one no event has, as reading an event that exists waits for a worker (there is none). */
function pathEventId(f: Fuzz): string {
  if (f.rng.chance(0.7)) return unknownId(f);
  const junk = encode(junkString(f));
  return /^[A-Za-z0-9][A-Za-z0-9._:@+=-]*$/.test(junk) ? `nx-${junk}` : junk || 'nx';
}

function realPath(f: Fuzz): string {
  const r = f.rng;
  const endpointId = r.chance(0.6) ? `ep-${r.word(8)}` : encode(junkString(f)) || 'x';
  const sourceId = r.pick(['shop', 'legacy', 'nope', r.word(), encode(junkString(f)) || 'y']);
  return r.pick([
    '/v1/events',
    '/v1/events/batch',
    `/v1/events/${pathEventId(f)}`,
    `/v1/events/${r.chance(0.2) ? r.pick(ID_POOL) : pathEventId(f)}/redeliver`,
    '/v1/event-types',
    '/v1/endpoints',
    `/v1/endpoints/${endpointId}`,
    `/v1/endpoints/${endpointId}/${r.pick(ACTIONS)}`,
    '/v1/sources',
    `/v1/sources/${sourceId}`,
    `/v1/sources/${sourceId}/invocations`,
    '/openapi.json',
    '/healthz',
    '/readyz',
  ]);
}

/** A body for a request that is not meant to be valid, on whichever route. */
function anyBody(f: Fuzz): { body?: string | Buffer; type?: string } {
  const r = f.rng;
  return r.weighted<() => { body?: string | Buffer; type?: string }>([
    [2, () => ({})],
    [3, () => ({ body: serialize(f, mutate(f, validEvent(f, 'fresh'))), type: r.pick([JSON_TYPE, JSON_TYPE, ...ODD_CONTENT_TYPES]) })],
    [2, () => ({ body: garbage(f), type: r.pick([JSON_TYPE, ...ODD_CONTENT_TYPES]) })],
    [1, () => ({ body: serialize(f, junkValue(f)), type: JSON_TYPE })],
  ])();
}

export function authVariant(f: Fuzz): FuzzRequest {
  const r = f.rng;
  const path = r.pick([
    '/v1/events',
    '/v1/events/batch',
    '/v1/event-types',
    '/v1/endpoints',
    `/v1/events/${unknownId(f)}`,
    '/v1/sources',
    '/v1/sources/shop/invocations',
  ]);
  const method = path === '/v1/events' || path === '/v1/events/batch' ? 'POST' : 'GET';
  const auth = authorization(f);
  // A valid event behind a key the guard should refuse, so that letting it in would show; behind the key, a broken one.
  const body =
    method === 'GET'
      ? undefined
      : auth === f.auth
        ? serialize(f, mutate(f, validEvent(f, 'fresh')))
        : JSON.stringify(validEvent(f, 'fresh'));
  return {
    kind: 'auth',
    method,
    path,
    headers: { ...auth, ...(body === undefined ? {} : { 'content-type': JSON_TYPE }) },
    ...(body === undefined ? {} : { body }),
    transport: 'fetch',
  };
}

export function randomMethod(f: Fuzz): FuzzRequest {
  const r = f.rng;
  const path = realPath(f);
  let method: string = r.pick(METHODS);
  // A test send waits for a delivery: never POSTed here.
  if (method === 'POST' && /^\/v1\/endpoints\/[^/]+\/test$/.test(path)) method = r.pick(['GET', 'PUT', 'DELETE', 'PATCH']);
  const { type, ...rest } = anyBody(f);
  let { body } = rest;
  // Where a valid body would create an endpoint, the body has a field the strict schemas refuse.
  if (method === 'POST' && path === '/v1/endpoints' && body !== undefined) {
    body = serialize(f, { ...mutate(f, { id: `ep-${r.word(6)}`, url: 'http://127.0.0.1:9/x' }), 'fuzz-unknown': 1 });
  }
  const canHaveBody = method !== 'GET' && method !== 'HEAD' && body !== undefined;
  return {
    kind: 'random-method',
    method,
    path,
    headers: {
      ...f.auth,
      ...(canHaveBody && type !== undefined ? { 'content-type': type } : {}),
      // Sources get a wrong secret here: the right one is for the source generators, which bound what they start.
      ...(path.startsWith('/v1/sources') ? { 'x-webhook-secret': r.chance(0.5) ? 'wrong' : '' } : {}),
    },
    ...(canHaveBody ? { body } : {}),
    transport: 'fetch',
  };
}

export function junkPath(f: Fuzz): FuzzRequest {
  const r = f.rng;
  const path = r.weighted<() => string>([
    [5, () => r.pick(JUNK_PATHS)],
    [2, () => `/${Array.from({ length: r.int(1, 6) }, () => encode(junkString(f)).slice(0, 300)).join('/')}`],
    [1, () => `/v1/events/${'a'.repeat(r.int(90, 260))}`],
    [1, () => `/v1/events/${'a'.repeat(r.int(90, 260))}/redeliver`],
    [1, () => `/v1/endpoints/${'a'.repeat(r.int(90, 260))}`],
    [1, () => `/v1/sources/${'s'.repeat(r.int(90, 260))}`],
    [1, () => `/${'seg/'.repeat(r.int(100, 2_000))}`],
    [1, () => `/v1/events?${Array.from({ length: r.int(1, 300) }, () => `${r.word(4)}=${encode(junkString(f)).slice(0, 50)}`).join('&')}`],
    [1, () => `/v1/event-types?${'q'.repeat(r.int(1_000, 12_000))}`],
    [1, () => `${realPath(f)}?${r.pick(['%', '%zz', '&&&', '=', 'a=%E0%A4%A', '__proto__=1', 'page_size=-1'])}`],
    [1, () => `${realPath(f)}${r.pick(['/', '//', '/.', '/..', '%2F', '%00', '/%2e%2e', '.json', '~', '*'])}`],
  ])();
  const method = r.pick(METHODS);
  const canHaveBody = method !== 'GET' && method !== 'HEAD';
  const body = canHaveBody && r.chance(0.4) ? serialize(f, mutate(f, validEvent(f, 'fresh'))) : undefined;
  return {
    kind: 'junk-path',
    method,
    path,
    headers: { ...authorization(f), ...(body === undefined ? {} : { 'content-type': JSON_TYPE }) },
    ...(body === undefined ? {} : { body }),
    transport: 'fetch',
  };
}

export function readRequest(f: Fuzz): FuzzRequest {
  const r = f.rng;
  const path = r.pick([
    '/healthz',
    '/readyz',
    '/openapi.json',
    '/v1/event-types',
    '/v1/sources',
    '/v1/sources/shop',
    '/v1/sources/legacy',
    `/v1/sources/${r.word()}`,
    '/v1/sources/shop/invocations',
    '/v1/sources/legacy/invocations',
    `/v1/sources/${r.word()}/invocations`,
    '/v1/endpoints',
    `/v1/events/${pathEventId(f)}`,
  ]);
  return { kind: 'read', method: r.chance(0.85) ? 'GET' : 'HEAD', path, headers: r.chance(0.9) ? f.auth : {}, transport: 'fetch' };
}

/** What fetch will not send: bodies on GET and HEAD, methods outside the usual, repeated headers. */
export function rawRequest(f: Fuzz): FuzzRequest {
  const r = f.rng;
  const path = r.chance(0.7) ? realPath(f) : r.pick(JUNK_PATHS);
  const safePath =
    path === '/v1/events' ||
    path === '/v1/events/batch' ||
    path === '/v1/endpoints' ||
    /\/(redeliver|test)$/.test(path) ||
    path === '/v1/sources/shop';
  return r.weighted<() => FuzzRequest>([
    [
      3,
      () => ({
        kind: 'raw-get-with-body',
        method: r.pick(['GET', 'HEAD', 'DELETE', 'OPTIONS']),
        path,
        headers: { ...f.auth, 'content-type': JSON_TYPE },
        body: JSON.stringify(validEvent(f, 'fresh')),
        transport: 'http',
      }),
    ],
    [2, () => ({ kind: 'raw-odd-method', method: r.pick(ODD_METHODS), path, headers: f.auth, transport: 'http' })],
    [
      2,
      () => ({
        kind: 'raw-repeated-headers',
        method: 'POST',
        path: r.pick(['/v1/events', '/v1/sources/shop', '/v1/events/batch']),
        headers: {
          authorization: [f.auth.authorization, 'Bearer wrong'],
          'content-type': [JSON_TYPE, 'text/plain'],
          'x-webhook-secret': [f.target.sourceSecret, f.target.sourceSecret],
          'idempotency-key': ['a', 'b'],
        },
        body: '{"type":"order.created","data":{"order_id":"dup","total":-1}}',
        transport: 'http',
      }),
    ],
    [
      2,
      () => ({
        kind: 'raw-post',
        method: r.pick(['POST', 'PUT', 'PATCH']),
        path: safePath ? `${path}/x` : path,
        headers: { ...f.auth, 'content-type': r.pick(ODD_CONTENT_TYPES) },
        body: garbage(f),
        transport: 'http',
      }),
    ],
  ])();
}
