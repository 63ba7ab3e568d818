/** What kind of network an IP address belongs to, for deciding whether a webhook may be sent there. */
export type AddressKind = 'public' | 'loopback' | 'private' | 'link_local' | 'reserved';

/** Kinds of non-public destination that configuration can allow. */
export const ALLOWABLE_ADDRESS_KINDS = ['loopback', 'private', 'link_local'] as const;

type Range = readonly [network: number, prefixBits: number, kind: AddressKind];

// IPv4 ranges that are not the public internet (RFC 6890 and friends).
const IPV4_RANGES: readonly Range[] = [
  [ipv4(0, 0, 0, 0), 8, 'reserved'], // "this network"
  [ipv4(10, 0, 0, 0), 8, 'private'],
  [ipv4(100, 64, 0, 0), 10, 'private'], // carrier-grade NAT
  [ipv4(127, 0, 0, 0), 8, 'loopback'],
  [ipv4(169, 254, 0, 0), 16, 'link_local'], // includes cloud metadata endpoints such as 169.254.169.254
  [ipv4(172, 16, 0, 0), 12, 'private'],
  [ipv4(192, 0, 0, 0), 24, 'reserved'],
  [ipv4(192, 168, 0, 0), 16, 'private'],
  [ipv4(198, 18, 0, 0), 15, 'reserved'], // benchmarking
  [ipv4(224, 0, 0, 0), 4, 'reserved'], // multicast
  [ipv4(240, 0, 0, 0), 4, 'reserved'], // future use and broadcast
];

function ipv4(a: number, b: number, c: number, d: number): number {
  return ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
}

function parseIpv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((part) => /^\d{1,3}$/.test(part) && Number(part) <= 255)) return undefined;
  const [a, b, c, d] = parts.map(Number) as [number, number, number, number];
  return ipv4(a, b, c, d);
}

function kindOfIpv4(address: number): AddressKind {
  for (const [network, bits, kind] of IPV4_RANGES) {
    const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
    if ((address & mask) >>> 0 === network) return kind;
  }
  return 'public';
}

/** The eight 16-bit groups of an IPv6 address, or `undefined` if `text` is not one. */
function parseIpv6(text: string): number[] | undefined {
  let rest = text.toLowerCase().replace(/%.*$/, '');
  // A dotted IPv4 tail (`::ffff:127.0.0.1`) is the last two groups written another way.
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(rest)?.[1];
  if (dotted) {
    const v4 = parseIpv4(dotted);
    if (v4 === undefined) return undefined;
    rest = `${rest.slice(0, -dotted.length)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const halves = rest.split('::');
  if (halves.length > 2) return undefined;
  const parse = (part: string): number[] | undefined => {
    if (part === '') return [];
    const values = part.split(':').map((group) => (/^[0-9a-f]{1,4}$/.test(group) ? parseInt(group, 16) : NaN));
    return values.some(Number.isNaN) ? undefined : values;
  };
  const head = parse(halves[0] ?? '');
  const tail = halves.length === 2 ? parse(halves[1] ?? '') : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  return [...head, ...new Array<number>(missing).fill(0), ...tail];
}

function kindOfIpv6(groups: readonly number[]): AddressKind {
  const [g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0, g5 = 0, g6 = 0, g7 = 0] = groups;
  const embeddedV4 = ((g6 << 16) | g7) >>> 0;
  if (g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0) {
    if (g5 === 0 && g6 === 0 && g7 === 1) return 'loopback';
    if (g5 === 0 && g6 === 0 && g7 === 0) return 'reserved';
    if (g5 === 0xffff) return kindOfIpv4(embeddedV4); // IPv4-mapped
  }
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) return kindOfIpv4(embeddedV4); // NAT64
  if ((g0 & 0xfe00) === 0xfc00) return 'private'; // unique local
  if ((g0 & 0xffc0) === 0xfe80) return 'link_local';
  if ((g0 & 0xff00) === 0xff00) return 'reserved'; // multicast
  return 'public';
}

/** The kind of an IPv4 or IPv6 address (brackets allowed), or `undefined` if `text` is no IP address. */
export function classifyAddress(text: string): AddressKind | undefined {
  const bare = text.replace(/^\[(.*)\]$/, '$1');
  const v4 = parseIpv4(bare);
  if (v4 !== undefined) return kindOfIpv4(v4);
  const v6 = bare.includes(':') ? parseIpv6(bare) : undefined;
  return v6 ? kindOfIpv6(v6) : undefined;
}

/** Whether a destination of `kind` may be contacted, given the non-public kinds configuration allows. */
export function isDestinationAllowed(kind: AddressKind, allowed: readonly string[]): boolean {
  return kind === 'public' || (kind !== 'reserved' && allowed.includes(kind));
}

/** Whether a listening host reaches only this machine: `localhost` or a loopback address. */
export function isLoopbackHost(host: string): boolean {
  return host.toLowerCase() === 'localhost' || classifyAddress(host) === 'loopback';
}
