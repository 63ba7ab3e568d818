import type { Payload, PayloadCodec } from '@temporalio/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { createLimiter } from '../../domain/limiter.js';
import type { Api } from '../api.js';
import type { RouteAccess } from '../guard.js';
import { PROBLEM_RESPONSES } from '../schemas.js';

export interface CodecRoutesDeps {
  /** The project's codecs, in encoding order (compression, then encryption). */
  readonly codecs: readonly PayloadCodec[];
  /** Browser origins (the Web UI's) allowed to call the codec. */
  readonly corsOrigins: readonly string[];
  /** `read` to ask for an API key, `public` when the API has none. */
  readonly access: Extract<RouteAccess, 'read' | 'public'>;
}

// The Temporal Web UI's remote codec protocol: payloads as JSON, their metadata values and data in base64.
// What one `/codec/decode` answers decoded at most; payloads past it are shown as they are stored. The Web UI asks for
// one history page's payloads at a time, far less than this.
const DECODED_BYTES_PER_REQUEST = 16 * 1024 * 1024;
// Requests decoding at once; the rest wait their turn. Each holds at most one inflated payload and its budget.
const DECODING_AT_ONCE = 2;

/** What a decoded payload holds: its data and every metadata value, where a made-up payload could hide its bulk. */
function decodedSize(payload: Payload): number {
  const metadata = Object.values(payload.metadata ?? {}).reduce((sum, value) => sum + (value?.length ?? 0), 0);
  return (payload.data?.length ?? 0) + metadata;
}

const Base64Schema = z.base64();
const JsonPayloadSchema = z.strictObject({ metadata: z.record(z.string(), Base64Schema).optional(), data: Base64Schema.optional() });
const PayloadsSchema = z
  .strictObject({ payloads: z.array(JsonPayloadSchema).max(1_000) })
  .meta({ id: 'Payloads', description: 'Temporal payloads as the Web UI sends them: metadata values and data in base64' });
type JsonPayload = z.infer<typeof JsonPayloadSchema>;

const toPayload = (json: JsonPayload): Payload => ({
  metadata: Object.fromEntries(Object.entries(json.metadata ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64')])),
  ...(json.data === undefined ? {} : { data: Buffer.from(json.data, 'base64') }),
});
const toJson = (payload: Payload): JsonPayload => ({
  metadata: Object.fromEntries(
    Object.entries(payload.metadata ?? {}).map(([key, value]) => [key, Buffer.from(value ?? []).toString('base64')]),
  ),
  ...(payload.data ? { data: Buffer.from(payload.data).toString('base64') } : {}),
});

/**
 * `/codec/encode` and `/codec/decode`: the codec server the Temporal Web UI calls from the operator's browser, so that
 * encrypted and compressed payloads read as JSON there. Only the configured UI origins may call it from a browser.
 */
export function registerCodecRoutes(app: Api, deps: CodecRoutesDeps): void {
  const allowed = new Set(deps.corsOrigins);
  const decoding = createLimiter(DECODING_AT_ONCE);
  const allowOrigin = (request: FastifyRequest, reply: FastifyReply): void => {
    const origin = request.headers.origin;
    if (!origin || !allowed.has(origin)) return;
    reply.header('access-control-allow-origin', origin).header('access-control-allow-credentials', 'true').header('vary', 'Origin');
  };

  // Each payload on its own, so that one no key here can read is shown as it is instead of failing the whole view; one
  // after the other within a budget, and a few requests at a time, so that the API's memory stays bounded whatever
  // the payloads inflate to.
  const decodeEach = (payloads: readonly Payload[]): Promise<Payload[]> => decoding(() => decodeWithin(payloads));
  const decodeWithin = async (payloads: readonly Payload[]): Promise<Payload[]> => {
    let budget = DECODED_BYTES_PER_REQUEST;
    const shown: Payload[] = [];
    for (const payload of payloads) {
      let decoded = [payload];
      try {
        for (const codec of [...deps.codecs].reverse()) decoded = await codec.decode(decoded);
      } catch {
        decoded = [payload];
      }
      const plain = decoded[0] ?? payload;
      const size = plain === payload ? 0 : decodedSize(plain);
      if (size > budget) {
        shown.push(payload);
        continue;
      }
      budget -= size;
      shown.push(plain);
    }
    return shown;
  };
  const encodeAll = async (payloads: Payload[]) => {
    let encoded = payloads;
    for (const codec of deps.codecs) encoded = await codec.encode(encoded);
    return encoded;
  };

  for (const [action, transform] of [
    ['decode', decodeEach],
    ['encode', encodeAll],
  ] as const) {
    const url = `/codec/${action}`;
    app.options(url, { schema: { hide: true }, config: { access: 'public' } }, async (request, reply) => {
      allowOrigin(request, reply);
      return reply
        .header('access-control-allow-methods', 'POST, OPTIONS')
        .header('access-control-allow-headers', 'content-type, x-namespace, authorization')
        .header('access-control-max-age', '600')
        .code(204)
        .send();
    });
    app.post(
      url,
      {
        schema: {
          tags: ['codec'],
          summary: `${action === 'decode' ? 'Decode' : 'Encode'} payloads for the Temporal Web UI`,
          ...(deps.access === 'read' ? { security: [{ apiKey: [] }] } : {}),
          body: PayloadsSchema,
          response: { 200: PayloadsSchema, ...PROBLEM_RESPONSES },
        },
        config: { access: deps.access },
        // On send, so that refusals (a missing key) reach the browser's script too.
        onSend: async (request, reply, payload) => {
          allowOrigin(request, reply);
          return payload;
        },
      },
      async (request) => ({ payloads: (await transform(request.body.payloads.map(toPayload))).map(toJson) }),
    );
  }
}
