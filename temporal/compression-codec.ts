import { promisify } from 'node:util';
import { deflateRaw, inflateRaw } from 'node:zlib';
import type { Payload, PayloadCodec } from '@temporalio/common';
import proto from '@temporalio/proto';

const { Payload: PayloadMessage } = proto.temporal.api.common.v1;
const deflate = promisify(deflateRaw);
const inflate = promisify(inflateRaw);

/** The encoding of a payload this codec compressed; its data is the original payload, serialised and deflated. */
export const COMPRESSED_ENCODING = 'binary/deflate';
const COMPRESSED_ENCODING_BYTES = new TextEncoder().encode(COMPRESSED_ENCODING);

/**
 * The most a compressed payload may inflate to. Deflate shrinks runs of one byte a thousandfold, so a payload of a few
 * hundred kilobytes (one a caller of `/codec/decode` makes up, say) could otherwise take gigabytes to decode. The
 * largest this gateway writes, a fan-out's list of ten thousand endpoint snapshots, inflates to about ten.
 */
export const MAX_INFLATED_BYTES = 64 * 1024 * 1024;

/**
 * Compresses payloads larger than `thresholdBytes`, and leaves smaller ones as they are, readable in the Web UI.
 *
 * Why: an event routed to thousands of endpoints starts its workflow with thousands of endpoint snapshots, which
 * repeat the same keys and settings; deflate shrinks that list by an order of magnitude and keeps it far below
 * Temporal's 2 MiB payload limit. Small payloads, nearly all of them, stay plain JSON.
 */
export function createCompressionCodec(thresholdBytes = 64 * 1024, maxInflatedBytes = MAX_INFLATED_BYTES): PayloadCodec {
  return {
    async encode(payloads) {
      return Promise.all(
        payloads.map(async (payload): Promise<Payload> => {
          if ((payload.data?.length ?? 0) <= thresholdBytes) return payload;
          const serialized = PayloadMessage.encode(payload).finish();
          // Never written if it could not be read back: the start fails now, where its caller hears of it, rather than
          // every task of the workflow later.
          if (serialized.length > maxInflatedBytes) {
            throw new Error(`a payload of ${serialized.length} bytes is over the ${maxInflatedBytes} this codec inflates`);
          }
          const data = await deflate(serialized);
          return { metadata: { encoding: COMPRESSED_ENCODING_BYTES }, data };
        }),
      );
    },
    async decode(payloads) {
      return Promise.all(
        payloads.map(async (payload): Promise<Payload> => {
          const encoding = payload.metadata?.['encoding'];
          if (!encoding || new TextDecoder().decode(encoding) !== COMPRESSED_ENCODING || !payload.data) return payload;
          // Past the limit zlib stops and rejects (ERR_BUFFER_TOO_LARGE) instead of allocating the rest.
          return PayloadMessage.decode(await inflate(payload.data, { maxOutputLength: maxInflatedBytes }));
        }),
      );
    },
  };
}
