import type { DataConverter } from '@temporalio/common';
import { createCompressionCodec } from './compression-codec.js';

/** The data converter every client and worker of the project uses; they must agree, or payloads cannot be read. */
export function webhookDataConverter(): DataConverter {
  return { payloadCodecs: [createCompressionCodec()] };
}
