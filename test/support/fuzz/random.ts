/**
 * A seeded PRNG (mulberry32) and the few ways the generators use it. Not Math.random: a run's requests must depend
 * on its seed alone, so that any run can be replayed.
 */
export class Random {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)] as T;
  }
  weighted<T>(entries: readonly (readonly [number, T])[]): T {
    const total = entries.reduce((sum, [weight]) => sum + weight, 0);
    let roll = this.next() * total;
    for (const [weight, value] of entries) {
      roll -= weight;
      if (roll < 0) return value;
    }
    return (entries[entries.length - 1] as readonly [number, T])[1];
  }
  word(length = this.int(1, 12), alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789'): string {
    let out = '';
    for (let i = 0; i < length; i++) out += alphabet[Math.floor(this.next() * alphabet.length)];
    return out;
  }
}

const SEEDS = 2 ** 32;

/**
 * The seed `text` names: `fallback` when it is unset or empty, a fresh one for `random`, else the number itself. A
 * seed that is not one throws, rather than running some other seed than the one asked for.
 */
export function parseSeed(text: string | undefined, fallback: number): number {
  const value = text?.trim() ?? '';
  if (value === '') return fallback;
  if (value.toLowerCase() === 'random') return Math.floor(Math.random() * SEEDS);
  if (/^\d+$/.test(value) && Number(value) < SEEDS) return Number(value);
  throw new Error(`not a seed: "${text}"; give an integer from 0 to ${SEEDS - 1}, or "random"`);
}
