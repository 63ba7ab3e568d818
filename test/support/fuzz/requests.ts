import {
  deepNesting,
  garbageRequest,
  mutatedBatchRequest,
  mutatedEventRequest,
  oddContentType,
  overLimit,
  redeliverKnown,
  validBatchRequest,
  validEventRequest,
} from './event-requests.js';
import { endpointRequest } from './endpoint-requests.js';
import { Random } from './random.js';
import { authVariant, junkPath, randomMethod, rawRequest, readRequest } from './route-requests.js';
import { sourceCall, validSourceCall } from './source-requests.js';

/** One request the fuzzer sends. */
export interface FuzzRequest {
  /** The generator that made it, for reports. */
  readonly kind: string;
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string | string[]>;
  readonly body?: string | Buffer;
  /** `http`: node:http, for what fetch refuses to send (a GET with a body, odd methods, repeated headers). */
  readonly transport: 'fetch' | 'http';
}

/**
 * What the generators are told of the gateway under test. The rest they assume: event types `order.created` (with
 * `order_id`, `total` and an optional `email`) and `user.signed_up`, and the sources `shop` (of `order.created`, its
 * delivery id in `x-delivery-id`) and `legacy` (disabled), both behind `sourceSecret`.
 */
export interface FuzzTarget {
  /** A key with every scope. */
  readonly apiKey: string;
  readonly sourceSecret: string;
  readonly bodyLimit: number;
  readonly batchMax: number;
}

/** What every generator draws on. */
export interface Fuzz {
  readonly rng: Random;
  readonly target: FuzzTarget;
  /** The valid key's header: one object, so that a generator can tell it apart from a variant of it. */
  readonly auth: { readonly authorization: string };
}

/**
 * The requests of a run, one per call, in a sequence that depends on `seed` alone. Valid ones are rare (they start
 * workflows); the rest are broken somehow.
 */
export function requestSequence(seed: number, target: FuzzTarget): () => FuzzRequest {
  const fuzz: Fuzz = { rng: new Random(seed), target, auth: { authorization: `Bearer ${target.apiKey}` } };
  return () => nextRequest(fuzz);
}

function nextRequest(f: Fuzz): FuzzRequest {
  const make = f.rng.weighted<(context: Fuzz) => FuzzRequest>([
    // Valid, or nearly: the only ones that start workflows, so kept to a few hundred.
    [90, validEventRequest],
    [25, validBatchRequest],
    [40, validSourceCall],
    [15, redeliverKnown],
    // Broken.
    [1_800, mutatedEventRequest],
    [800, mutatedBatchRequest],
    [1_000, garbageRequest],
    [700, oddContentType],
    [200, overLimit],
    [200, deepNesting],
    [900, sourceCall],
    [700, authVariant],
    [1_200, randomMethod],
    [800, junkPath],
    [600, endpointRequest],
    [300, readRequest],
    [400, rawRequest],
  ]);
  return make(f);
}
