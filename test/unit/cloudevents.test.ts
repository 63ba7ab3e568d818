import { describe, expect, test } from 'vitest';
import { CloudEventSchema, fromCloudEvent, type CloudEvent } from '../../domain/cloudevents.js';

const valid = {
  specversion: '1.0',
  id: 'evt-123',
  source: 'https://shop.example.com/orders',
  type: 'order.created',
  time: '2024-05-01T12:00:00Z',
  subject: 'order/42',
  datacontenttype: 'application/json',
  data: { total: 42, items: [{ sku: 'A-1' }] },
  traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
  partitionkey: 'p7',
};

const base64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

function issuePaths(input: unknown): string[] {
  const result = CloudEventSchema.safeParse(input);
  if (result.success) throw new Error('expected the event to be refused');
  return result.error.issues.map((issue) => issue.path.join('.'));
}

describe('CloudEventSchema', () => {
  test('accepts a structured CloudEvent 1.0 with extension attributes', () => {
    const result = CloudEventSchema.safeParse(valid);
    expect(result.success).toBe(true);
    expect(result.data?.id).toBe('evt-123');
  });

  test('accepts the smallest event: specversion, id, source and type', () => {
    expect(CloudEventSchema.safeParse({ specversion: '1.0', id: 'a', source: '/x', type: 'ping' }).success).toBe(true);
  });

  test('accepts a time with an offset', () => {
    expect(CloudEventSchema.safeParse({ ...valid, time: '2024-05-01T14:00:00.5+02:00' }).success).toBe(true);
  });

  test('refuses any specversion but 1.0', () => {
    expect(issuePaths({ ...valid, specversion: '0.3' })).toEqual(['specversion']);
    expect(issuePaths({ ...valid, specversion: 1 })).toEqual(['specversion']);
  });

  test('refuses an event without a source, or with an empty one', () => {
    const { source: _, ...withoutSource } = valid;
    expect(issuePaths(withoutSource)).toEqual(['source']);
    expect(issuePaths({ ...valid, source: '' })).toEqual(['source']);
  });

  test('refuses an id that cannot be a gateway event id', () => {
    expect(issuePaths({ ...valid, id: 'has space' })).toEqual(['id']);
  });

  test('refuses both data and data_base64', () => {
    expect(issuePaths({ ...valid, data_base64: base64('{}') })).toEqual(['data_base64']);
  });

  test('refuses data_base64 without a JSON datacontenttype', () => {
    const { data: _, ...withoutData } = valid;
    expect(issuePaths({ ...withoutData, datacontenttype: 'application/octet-stream', data_base64: base64('{}') })).toEqual(['data_base64']);
  });

  test('takes data_base64 without a datacontenttype as JSON, as the JSON format says', () => {
    const { data: _, datacontenttype: __, ...untyped } = valid;
    expect(fromCloudEvent(CloudEventSchema.parse({ ...untyped, data_base64: base64('{"a":1}') }))).toMatchObject({ data: { a: 1 } });
  });

  test('refuses data_base64 holding prototype keys or JSON nested past the limit, like any other body', () => {
    const { data: _, ...withoutData } = valid;
    expect(fromCloudEvent(CloudEventSchema.parse({ ...withoutData, data_base64: base64('{"__proto__":{"x":1}}') }))).toHaveProperty(
      'error',
    );
    const deep = '['.repeat(65) + ']'.repeat(65);
    expect(fromCloudEvent(CloudEventSchema.parse({ ...withoutData, data_base64: base64(deep) }))).toEqual({
      error: 'data_base64 holds JSON nested deeper than 64 levels',
    });
  });

  test('accepts data_base64 with a JSON datacontenttype, including +json and parameters', () => {
    const { data: _, ...withoutData } = valid;
    for (const datacontenttype of ['application/json', 'application/vnd.shop+json', 'application/json; charset=utf-8']) {
      expect(CloudEventSchema.safeParse({ ...withoutData, datacontenttype, data_base64: base64('{}') }).success).toBe(true);
    }
  });

  test.each(['Trace_Parent', 'traceParent', 'trace-parent', 'abcdefghijklmnopqrstu'])('refuses the extension name %s', (name) => {
    expect(issuePaths({ ...valid, [name]: 'x' })).toEqual([name]);
  });

  test('accepts an extension name of 20 lowercase letters and digits', () => {
    expect(CloudEventSchema.safeParse({ ...valid, abcdefghij0123456789: 'x' }).success).toBe(true);
  });
});

describe('fromCloudEvent', () => {
  const parse = (input: unknown): CloudEvent => CloudEventSchema.parse(input);

  test('maps id, type, time and data to the event', () => {
    expect(fromCloudEvent(parse(valid))).toEqual({
      id: 'evt-123',
      type: 'order.created',
      timestamp: '2024-05-01T12:00:00Z',
      data: { total: 42, items: [{ sku: 'A-1' }] },
    });
  });

  test('leaves out the time and data an event does not carry', () => {
    expect(fromCloudEvent(parse({ specversion: '1.0', id: 'a', source: '/x', type: 'ping' }))).toEqual({ id: 'a', type: 'ping' });
  });

  test('decodes data_base64 holding UTF-8 JSON', () => {
    const { data: _, ...withoutData } = valid;
    const event = parse({ ...withoutData, data_base64: base64('{"note":"ünïcode ✓","n":[1,2]}') });
    expect(fromCloudEvent(event)).toMatchObject({ id: 'evt-123', data: { note: 'ünïcode ✓', n: [1, 2] } });
  });

  test('returns an error when data_base64 is not JSON', () => {
    const { data: _, ...withoutData } = valid;
    const result = fromCloudEvent(parse({ ...withoutData, data_base64: base64('not json at all') }));
    expect(result).toEqual({ error: expect.stringContaining('data_base64') as unknown });
  });

  test('returns an error when data_base64 is not UTF-8', () => {
    const { data: _, ...withoutData } = valid;
    const result = fromCloudEvent(parse({ ...withoutData, data_base64: Buffer.from([0x22, 0xff, 0xfe, 0x22]).toString('base64') }));
    expect(result).toHaveProperty('error');
  });
});
