import type { Fuzz, FuzzRequest } from './requests.js';

// What the request generators of every family build from: events valid and broken, junk of every kind, and the
// content types and ids they share.

export const JSON_TYPE = 'application/json';
export const CLOUD_TYPE = 'application/cloudevents+json';
export const CLOUD_BATCH_TYPE = 'application/cloudevents-batch+json';
/** Event ids that come back: a repeat with the same content is replayed, with other content a conflict. */
export const ID_POOL = Array.from({ length: 24 }, (_, i) => `fuzz-${i}`);

export const ODD_CONTENT_TYPES = [
  CLOUD_TYPE,
  CLOUD_BATCH_TYPE,
  'text/plain',
  'text/plain; charset=utf-8',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=----fuzz',
  'multipart/form-data',
  'application/json; charset=latin1',
  'application/json; charset=utf-8',
  'application/json; charset=UTF-8',
  'application/json;charset=utf-16',
  'application/json; boundary=x',
  'application/json;;;',
  'application/json, text/plain',
  'APPLICATION/JSON',
  ' application/json',
  'application/vnd.api+json',
  'application/problem+json',
  'application/ld+json',
  'application/jsonx',
  'application/',
  '/json',
  'json',
  '*/*',
  'application/*',
  'application/octet-stream',
  'text/html',
  'text/json',
  '',
  ';',
  'application/json; charset=',
  'application/json; charset="utf-8"',
  `application/json; x=${'y'.repeat(3000)}`,
] as const;

const UNICODE = ['é', 'ß', '日本', '🎉', '\u200b', '\u202e', '\u0000', '\ud800', '\udfff', '\ufeff', '\\', '"', '\n', '%00', '\u2028'];

/** Percent-encodes the UTF-8 bytes of `text`; unlike encodeURIComponent, a lone surrogate does not throw. */
export function encode(text: string): string {
  return [...Buffer.from(text, 'utf8')]
    .map((byte) =>
      /[A-Za-z0-9_.~-]/.test(String.fromCharCode(byte))
        ? String.fromCharCode(byte)
        : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`,
    )
    .join('');
}

export function post(kind: string, path: string, body: string | Buffer | undefined, headers: Record<string, string>): FuzzRequest {
  return { kind, method: 'POST', path, headers, ...(body === undefined ? {} : { body }), transport: 'fetch' };
}

export function junkString(f: Fuzz): string {
  const r = f.rng;
  return r.weighted<() => string>([
    [4, () => r.word()],
    [2, () => r.word(r.int(1, 6)) + r.pick(UNICODE) + r.word(r.int(0, 6))],
    [1, () => ''],
    [1, () => ' '],
    [1, () => 'x'.repeat(r.int(200, 12_000))],
    [1, () => r.pick(UNICODE).repeat(r.int(1, 300))],
    [1, () => String(r.int(-1e9, 1e9))],
    [1, () => r.pick(['null', 'true', 'undefined', 'NaN', '{}', '[]', '__proto__', 'constructor', '${x}', "'; DROP TABLE x;--"])],
  ])();
}

export function junkValue(f: Fuzz, depth = 0): unknown {
  const r = f.rng;
  const leaf = r.weighted<() => unknown>([
    [3, () => junkString(f)],
    [2, () => r.int(-1e6, 1e6)],
    [1, () => r.pick([0, -0, 1.5, -1, 1e308, -1e308, 5e-324, 2 ** 53 + 1, Number.MAX_SAFE_INTEGER])],
    [1, () => r.chance(0.5)],
    [2, () => null],
  ]);
  if (depth > 3) return leaf();
  return r.weighted<() => unknown>([
    [6, leaf],
    [1, () => Array.from({ length: r.int(0, 5) }, () => junkValue(f, depth + 1))],
    [
      1,
      () =>
        Object.fromEntries(
          Array.from({ length: r.int(0, 5) }, () => [r.pick([r.word(), 'constructor', 'prototype', '']), junkValue(f, depth + 1)]),
        ),
    ],
  ])();
}

/** A JSON text of `1` nested `depth` deep. */
export function deep(f: Fuzz, depth: number): string {
  if (f.rng.chance(0.5)) return '['.repeat(depth) + '1' + ']'.repeat(depth);
  return '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
}

/** The value `deep` is the text of. */
export function deepValue(f: Fuzz, depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = f.rng.chance(0.5) ? [value] : { a: value };
  return value;
}

/** An id for an event body, from a pool: the events that get through start at most one workflow per id. */
function eventId(f: Fuzz): string {
  return `fz-${f.rng.int(0, 149)}`;
}

/** An id for a path, which names no event. */
export function unknownId(f: Fuzz): string {
  return `nx-${f.rng.word(12)}`;
}

export function orderData(f: Fuzz): Record<string, unknown> {
  const r = f.rng;
  return { order_id: `o-${r.word(6)}`, total: r.int(0, 100_000) / 100, ...(r.chance(0.3) ? { email: `${r.word(5)}@example.com` } : {}) };
}

/** A valid event object; with `pooled`, its id comes from the pool and its content is fixed by the id half the time. */
export function validEvent(f: Fuzz, idMode: 'none' | 'pooled' | 'fresh'): Record<string, unknown> {
  const r = f.rng;
  const type = r.pick(['order.created', 'user.signed_up']);
  if (idMode === 'pooled') {
    const index = r.int(0, ID_POOL.length - 1);
    const same = r.chance(0.6);
    const fixed = { id: ID_POOL[index], type: index % 2 ? 'order.created' : 'user.signed_up', timestamp: '2026-01-15T10:30:00Z' };
    return same
      ? { ...fixed, data: index % 2 ? { order_id: `o-${index}`, total: index } : { n: index } }
      : { ...fixed, data: index % 2 ? orderData(f) : { n: r.int(0, 1e6) } };
  }
  return {
    ...(idMode === 'fresh' ? { id: eventId(f) } : {}),
    type,
    ...(r.chance(0.5) ? { timestamp: new Date(Date.UTC(2026, 0, r.int(1, 28), r.int(0, 23))).toISOString() } : {}),
    ...(type === 'order.created' ? { data: orderData(f) } : r.chance(0.7) ? { data: junkValue(f) } : {}),
  };
}

export function cloudEvent(f: Fuzz, idMode: 'pooled' | 'fresh'): Record<string, unknown> {
  const r = f.rng;
  const event = validEvent(f, idMode);
  const base64 = r.chance(0.2);
  return {
    specversion: '1.0',
    id: event['id'] ?? eventId(f),
    source: r.pick(['/fuzz', 'urn:fuzz', 'https://example.com/x']),
    type: event['type'],
    ...(event['timestamp'] ? { time: event['timestamp'] } : {}),
    ...(r.chance(0.3) ? { subject: r.word() } : {}),
    ...(r.chance(0.2) ? { fuzzext: r.word() } : {}),
    ...(base64
      ? { datacontenttype: 'application/json', data_base64: Buffer.from(JSON.stringify(event['data'] ?? {})).toString('base64') }
      : event['data'] === undefined
        ? {}
        : { data: event['data'] }),
  };
}

/** Breaks a JSON object in one to three ways. */
export function mutate(f: Fuzz, value: Record<string, unknown>): Record<string, unknown> {
  const r = f.rng;
  const out: Record<string, unknown> = { ...value };
  for (let i = r.int(1, 3); i > 0; i--) {
    const keys = Object.keys(out);
    const key =
      keys.length > 0 && r.chance(0.8) ? r.pick(keys) : r.pick(['id', 'type', 'data', 'timestamp', 'events', 'specversion', 'source']);
    r.weighted<() => void>([
      [3, () => delete out[key]],
      [3, () => (out[key] = junkValue(f))],
      [2, () => (out[key] = null)],
      [1, () => (out[key] = typeof out[key] === 'number' ? String(out[key]) : Number(out[key]))],
      [1, () => (out[key] = [out[key]])],
      [1, () => (out[key] = { value: out[key] })],
      [1, () => (out[key] = `${String(out[key])}${r.pick(UNICODE)}`)],
      [1, () => (out[key] = 'x'.repeat(r.int(150, 5_000)))],
      [1, () => (out[r.word()] = junkValue(f))],
      [1, () => (out['constructor'] = { prototype: { polluted: true } })],
      [1, () => (out['data'] = deepValue(f, r.int(20, 400)))],
      [
        1,
        () =>
          (out[key] = r.pick([
            '',
            '.',
            'a..b',
            'order created',
            'order.*',
            '../x',
            'a/b',
            '-x',
            'x'.repeat(201),
            '2026-13-45T99:99:99Z',
            '2026-01-01T00:00:00',
            '9999-12-31T23:59:59Z',
            '0000-01-01T00:00:00Z',
            '2026-01-01T00:00:00.123456789+14:00',
            'yesterday',
            '0.9',
            '1.0 ',
          ])),
      ],
    ])();
  }
  return out;
}

/** Serializes, sometimes with text-level damage JSON.stringify cannot express. */
export function serialize(f: Fuzz, value: unknown): string {
  const text = JSON.stringify(value) ?? 'null';
  return f.rng.weighted<() => string>([
    [14, () => text],
    [1, () => (text.startsWith('{') ? `{"__proto__":{"polluted":true},${text.slice(1)}` : text)],
    [1, () => (text.startsWith('{"') ? `{"type":"dup.type",${text.slice(1)}` : text)],
    [1, () => `\ufeff${text}`],
    [1, () => ` \n\t${text}\n `],
    [1, () => text.replace(/\d+/, '1e400')],
    [1, () => text.replace(/:/, ': 01')],
  ])();
}

/** A body that is not JSON, or not the JSON of anything a route takes. */
export function garbage(f: Fuzz): string | Buffer {
  const r = f.rng;
  const valid = JSON.stringify(validEvent(f, 'none'));
  return r.weighted<() => string | Buffer>([
    [3, () => valid.slice(0, r.int(0, valid.length - 1))],
    [2, () => Buffer.from(Array.from({ length: r.int(1, 2_000) }, () => r.int(0, 255)))],
    [1, () => ''],
    [1, () => ' '],
    [1, () => 'null'],
    [1, () => 'true'],
    [1, () => '"order.created"'],
    [1, () => '12345'],
    [1, () => '[]'],
    [1, () => '{}'],
    [1, () => '{"type":"order.created",}'],
    [1, () => "{'type':'order.created'}"],
    [1, () => '{"type":"order.created"}{"type":"order.created"}'],
    [1, () => '{"type":"order.created","data":NaN}'],
    [1, () => '{"type":"order.created","data":undefined}'],
    [1, () => '{"type":"order.created","data":"\\ud800"}'],
    [1, () => '{"type":"order.created","data":"\u0000"}'],
    [1, () => 'type=order.created&data=1'],
    [1, () => '<xml><type>order.created</type></xml>'],
    [1, () => Buffer.concat([Buffer.from('{"type":"order.created","data":"'), Buffer.from([0xc3, 0x28, 0xff, 0xfe]), Buffer.from('"}')])],
    [1, () => Buffer.from('{"type":"order.created"}', 'utf16le')],
    [1, () => deep(f, r.int(1_000, 8_000))],
  ])();
}
