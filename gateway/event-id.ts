import { randomBytes } from 'node:crypto';

/** A new event id, `evt_` then a time prefix and 80 random bits, so that ids sort roughly by creation time. */
export function createEventId(now: Date = new Date()): string {
  return `evt_${now.getTime().toString(36).padStart(9, '0')}${randomBytes(10).toString('hex')}`;
}
