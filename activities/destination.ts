import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions, type LookupOneOptions } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { classifyAddress, isDestinationAllowed } from '../domain/address.js';

/** The error a refused destination raises; its `code` is what transport errors are classified by. */
export class BlockedDestinationError extends Error {
  override readonly name = 'BlockedDestinationError';
  readonly code = 'EDESTINATIONBLOCKED';
  constructor(
    readonly host: string,
    readonly address: string,
    readonly kind: string,
  ) {
    super(`${host} resolves to ${address}, a ${kind.replace('_', '-')} address, which delivery.allow_destinations does not allow`);
  }
}

/** Refuses a URL whose host is an IP literal of a kind not allowed; names resolve through {@link createGuardedLookup}. */
export function checkLiteralDestination(url: URL, allowed: readonly string[]): BlockedDestinationError | undefined {
  const kind = classifyAddress(url.hostname);
  return kind === undefined || isDestinationAllowed(kind, allowed)
    ? undefined
    : new BlockedDestinationError(url.hostname, url.hostname, kind);
}

/**
 * A DNS lookup for outbound sockets that drops addresses of kinds not allowed, and fails when none is left.
 * Checking at connect time, not before the request, leaves no gap for a name to resolve differently in between.
 */
export function createGuardedLookup(allowed: readonly string[]): LookupFunction {
  return ((hostname: string, options: LookupOneOptions | LookupAllOptions, callback: (...args: unknown[]) => void) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error);
      const usable = addresses.filter(({ address }) => isDestinationAllowed(classifyAddress(address) ?? 'reserved', allowed));
      const [first] = addresses;
      if (usable.length === 0 || !first) {
        const refused = first ?? { address: 'nothing', family: 4 };
        return callback(new BlockedDestinationError(hostname, refused.address, classifyAddress(refused.address) ?? 'unknown'));
      }
      if (options.all) return callback(null, usable);
      const [chosen] = usable as [LookupAddress];
      return callback(null, chosen.address, chosen.family);
    });
  }) as LookupFunction;
}
