import type { WebhookEvent } from './event.js';

/** The body shapes a receiver can ask for. */
export const PAYLOAD_FORMATS = ['standard', 'event', 'flat', 'data', 'slack', 'discord'] as const;
export type PayloadFormat = (typeof PAYLOAD_FORMATS)[number];

/** The formats that put the payload under a key of its own, which `data_key` renames. */
export const KEYED_PAYLOAD_FORMATS: readonly PayloadFormat[] = ['standard', 'event'];

/** Where the keyed formats put the payload unless told otherwise. */
export const DEFAULT_DATA_KEY = 'data';

/** What a data key may look like: a plain JSON field name. */
export const DATA_KEY_FORM = /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/;

const SUMMARY_MAX_CHARS = 300;
// Fields that usually say in words what happened; the first one present leads the summary.
const HEADLINE_FIELDS = ['message', 'title', 'summary', 'description', 'text'];

/**
 * The JSON body for a receiver: `standard` is the Standard Webhooks envelope `{type, timestamp, data}`;
 * `event` the `{event, timestamp, data}` shape of many webhook senders (OpsKnight's puts the payload under
 * `incident`: that is `dataKey`); `flat` the payload's own fields between `event` and `timestamp`, as Agent Stack
 * sends them; `data` the payload alone; `slack` (`{text}`) and `discord` (`{content}`) a one-line summary for their
 * incoming webhooks.
 */
export function renderPayload(format: PayloadFormat, event: WebhookEvent, dataKey: string = DEFAULT_DATA_KEY): string {
  switch (format) {
    case 'standard':
      return JSON.stringify({ type: event.type, timestamp: event.timestamp, [dataKey]: event.data });
    case 'event':
      return JSON.stringify({ event: event.type, timestamp: event.timestamp, [dataKey]: event.data });
    case 'flat':
      return JSON.stringify(flatBody(event));
    case 'data':
      return JSON.stringify(event.data ?? null);
    case 'slack':
      return JSON.stringify({ text: summarizeEvent(event, '*') });
    case 'discord':
      return JSON.stringify({ content: summarizeEvent(event, '**') });
  }
}

// The envelope's own fields win over payload fields of the same name, so that a receiver can always trust them. A
// payload that is not an object has no fields to lift, so it stays under `data`.
function flatBody(event: WebhookEvent): Record<string, unknown> {
  const { data } = event;
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    return { event: event.type, data: data ?? null, timestamp: event.timestamp };
  }
  const fields = Object.fromEntries(Object.entries(data).filter(([key]) => key !== 'event' && key !== 'timestamp'));
  return { event: event.type, ...fields, timestamp: event.timestamp };
}

/**
 * One readable line about an event, e.g. `*incident.triggered* · Database connection timeout · severity: critical`:
 * the type in bold (`bold` is the chat's marker), then a headline field if the data has one, then other
 * top-level values, cut at 300 characters.
 */
export function summarizeEvent(event: WebhookEvent, bold: string): string {
  const parts = [`${bold}${event.type}${bold}`];
  const { data } = event;
  if (data !== null && typeof data === 'object' && !Array.isArray(data)) {
    const fields = Object.entries(data as Record<string, unknown>);
    const headline = fields.find(([key, value]) => HEADLINE_FIELDS.includes(key) && typeof value === 'string');
    if (headline) parts.push(String(headline[1]));
    for (const [key, value] of fields) {
      if (key === headline?.[0]) continue;
      if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') parts.push(`${key}: ${String(value)}`);
      else if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
        const name = (value as Record<string, unknown>)['name'] ?? (value as Record<string, unknown>)['id'];
        if (typeof name === 'string') parts.push(`${key}: ${name}`);
      }
    }
  } else if (data !== null && data !== undefined) {
    parts.push(JSON.stringify(data));
  }
  const line = parts.join(' · ').replace(/\s+/g, ' ');
  return line.length > SUMMARY_MAX_CHARS ? `${line.slice(0, SUMMARY_MAX_CHARS - 1)}…` : line;
}
