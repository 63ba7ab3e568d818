import type { Fuzz, FuzzRequest } from './requests.js';
import { JSON_TYPE, encode, garbage, junkString, junkValue, mutate, serialize } from './values.js';

// Requests to the endpoint management routes, none of which may change anything: an endpoint they made would get the
// events the other generators start. So the ids name no endpoint or break its schema, and new endpoints are broken.

export function endpointRequest(f: Fuzz): FuzzRequest {
  const r = f.rng;
  // Ids the route accepts name no endpoint; the rest break EndpointIdSchema. /test only ever gets the broken ones.
  const wellFormed = `ep-${r.word(8)}`;
  const broken = encode(r.pick(['EP', 'Ep-1', '-x', '_x', 'a.b', 'a b', 'é', 'x'.repeat(101), `X${junkString(f)}`]));
  const id = r.chance(0.6) ? wellFormed : broken;
  const badEndpoint = () =>
    serialize(f, {
      ...mutate(f, { id: r.chance(0.5) ? wellFormed : broken, url: 'http://127.0.0.1:9/x', events: ['*'] }),
      'fuzz-unknown': junkValue(f),
    });
  const json = { ...f.auth, 'content-type': JSON_TYPE };
  return r.weighted<() => FuzzRequest>([
    [3, () => ({ kind: 'endpoints', method: 'POST', path: '/v1/endpoints', headers: json, body: badEndpoint(), transport: 'fetch' })],
    [1, () => ({ kind: 'endpoints', method: 'POST', path: '/v1/endpoints', headers: json, body: garbage(f), transport: 'fetch' })],
    [
      2,
      () => ({
        kind: 'endpoints',
        method: 'PATCH',
        path: `/v1/endpoints/${id}`,
        headers: json,
        body: serialize(f, r.chance(0.5) ? junkValue(f) : { url: junkValue(f) }),
        transport: 'fetch',
      }),
    ],
    [
      1,
      () => ({
        kind: 'endpoints',
        method: 'PATCH',
        path: `/v1/endpoints/${id}`,
        headers: json,
        body: JSON.stringify({ id: 'other' }),
        transport: 'fetch',
      }),
    ],
    [1, () => ({ kind: 'endpoints', method: 'DELETE', path: `/v1/endpoints/${id}`, headers: f.auth, transport: 'fetch' })],
    [1, () => ({ kind: 'endpoints', method: 'GET', path: `/v1/endpoints/${id}`, headers: f.auth, transport: 'fetch' })],
    [
      3,
      () => {
        const action = r.pick(['pause', 'resume', 'disable', 'enable'] as const);
        const body = r.pick([
          undefined,
          '{}',
          JSON.stringify({ reason: junkValue(f) }),
          JSON.stringify({ reason: 'x'.repeat(501) }),
          serialize(f, junkValue(f)),
        ]);
        return {
          kind: 'endpoints',
          method: 'POST',
          path: `/v1/endpoints/${id}/${action}`,
          headers: body === undefined ? f.auth : json,
          ...(body === undefined ? {} : { body }),
          transport: 'fetch',
        };
      },
    ],
    [
      2,
      () => {
        const query = r.pick([
          '',
          '?status=failed',
          `?status=${encode(junkString(f))}`,
          `?since=${encode(r.pick(['2026-01-01T00:00:00Z', 'yesterday', '2026-01-01', '', '9999-12-31T23:59:59+14:00']))}`,
          `?page_size=${r.pick(['0', '1', '100', '101', '-5', '1.5', 'abc', '1e3', '', '99999999999999999999'])}`,
          `?page_token=${r.pick([r.word(20), 'AAAA', '%', encode(junkString(f)), 'x'.repeat(2_001), Buffer.from(r.word(40)).toString('base64url')])}`,
          `?unknown=1`,
          `?status=failed&status=held`,
        ]);
        return { kind: 'endpoints', method: 'GET', path: `/v1/endpoints/${id}/deliveries${query}`, headers: f.auth, transport: 'fetch' };
      },
    ],
    [
      1,
      () => {
        const query = r.pick([
          '',
          '?since=yesterday',
          '?since=2026-01-01T00:00:00Z',
          '?since=',
          '?since=2026-01-01T00:00:00Z&x=1',
          `?since=${encode(junkString(f))}`,
        ]);
        return { kind: 'endpoints', method: 'POST', path: `/v1/endpoints/${id}/recover${query}`, headers: f.auth, transport: 'fetch' };
      },
    ],
    [1, () => ({ kind: 'endpoints', method: 'POST', path: `/v1/endpoints/${broken}/test`, headers: f.auth, transport: 'fetch' })],
    [
      1,
      () => ({
        kind: 'endpoints',
        method: r.pick(['GET', 'PUT', 'DELETE', 'PATCH']),
        path: `/v1/endpoints/${id}/test`,
        headers: f.auth,
        transport: 'fetch',
      }),
    ],
  ])();
}
