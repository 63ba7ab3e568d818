import { describe, expect, test } from 'vitest';
import { defaultPayloadConverter } from '@temporalio/common';
import { COMPRESSED_ENCODING, createCompressionCodec } from '../../temporal/compression-codec.js';

const codec = createCompressionCodec(1_024);
const encoding = (payload: { metadata?: Record<string, Uint8Array> | null }) => new TextDecoder().decode(payload.metadata?.['encoding']);

describe('createCompressionCodec', () => {
  test('leaves small payloads as readable JSON', async () => {
    const payload = defaultPayloadConverter.toPayload({ type: 'order.created' });
    expect(await codec.encode([payload])).toEqual([payload]);
  });

  test('compresses a large payload many times over and restores it exactly', async () => {
    const targets = Array.from({ length: 5_000 }, (_, index) => ({
      endpointId: `customer-${index}`,
      url: `https://hooks.example.com/customers/${index}/webhooks`,
      headers: {},
      format: 'standard',
      timeoutMs: 15_000,
      retry: { jitter: 0.1, retryAfterMaxMs: 3_600_000 },
      retryOnStatus: [],
    }));
    const payload = defaultPayloadConverter.toPayload({ targets });
    const [encoded] = await codec.encode([payload]);

    expect(encoding(encoded ?? {})).toBe(COMPRESSED_ENCODING);
    expect(payload.data?.length).toBeGreaterThan(1_000_000);
    expect((encoded?.data?.length ?? Infinity) * 10).toBeLessThan(payload.data?.length ?? 0);
    const [decoded] = await codec.decode([encoded ?? {}]);
    expect(defaultPayloadConverter.fromPayload(decoded ?? {})).toEqual({ targets });
  });

  test('refuses a payload that would inflate past its limit, without inflating the rest', async () => {
    const limited = createCompressionCodec(1_024, 1_000_000);
    const [bomb] = await codec.encode([{ metadata: {}, data: new Uint8Array(2_000_000) }]);
    expect((bomb?.data?.length ?? Infinity) * 100).toBeLessThan(2_000_000);
    await expect(limited.decode([bomb ?? {}])).rejects.toMatchObject({ code: 'ERR_BUFFER_TOO_LARGE' });
  });

  test('refuses to write a payload it could not read back', async () => {
    const limited = createCompressionCodec(1_024, 1_000_000);
    await expect(limited.encode([{ metadata: {}, data: new Uint8Array(2_000_000) }])).rejects.toThrow(
      /over the 1000000 this codec inflates/,
    );
  });

  test('passes through payloads it did not compress', async () => {
    const payload = defaultPayloadConverter.toPayload('plain');
    expect(await codec.decode([payload])).toEqual([payload]);
  });
});
