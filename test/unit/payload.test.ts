import { describe, expect, test } from 'vitest';
import type { WebhookEvent } from '../../domain/event.js';
import { renderPayload, summarizeEvent } from '../../domain/payload.js';

const incident: WebhookEvent = {
  id: 'evt_1',
  type: 'incident.triggered',
  timestamp: '2024-01-15T10:30:00Z',
  data: { title: 'Database connection timeout', severity: 'critical', service: { id: 'svc_xyz789', name: 'API Gateway' }, assignee: null },
};

describe('renderPayload', () => {
  test.each([
    ['standard', { type: 'incident.triggered', timestamp: '2024-01-15T10:30:00Z', data: incident.data }],
    ['event', { event: 'incident.triggered', timestamp: '2024-01-15T10:30:00Z', data: incident.data }],
    ['data', incident.data],
    ['slack', { text: '*incident.triggered* · Database connection timeout · severity: critical · service: API Gateway' }],
    ['discord', { content: '**incident.triggered** · Database connection timeout · severity: critical · service: API Gateway' }],
  ] as const)('renders %s', (format, expected) => {
    expect(JSON.parse(renderPayload(format, incident))).toEqual(expected);
  });
});

describe('renderPayload with a data key and the flat format', () => {
  test('the keyed formats put the payload under the key given', () => {
    expect(JSON.parse(renderPayload('event', incident, 'incident'))).toEqual({
      event: 'incident.triggered',
      timestamp: '2024-01-15T10:30:00Z',
      incident: incident.data,
    });
    expect(JSON.parse(renderPayload('standard', incident, 'payload'))).toHaveProperty('payload', incident.data);
  });

  test('flat lifts the payload’s fields between event and timestamp; the envelope’s fields win', () => {
    const body = renderPayload('flat', { ...incident, data: { id: 'inc_1', event: 'forged', timestamp: 'forged' } });
    expect(body).toBe('{"event":"incident.triggered","id":"inc_1","timestamp":"2024-01-15T10:30:00Z"}');
  });

  test('flat keeps a payload that is not an object under data', () => {
    expect(JSON.parse(renderPayload('flat', { ...incident, data: [1, 2] }))).toEqual({
      event: 'incident.triggered',
      data: [1, 2],
      timestamp: '2024-01-15T10:30:00Z',
    });
  });
});

describe('summarizeEvent', () => {
  test('lists scalar fields when there is no headline', () => {
    const event = { ...incident, type: 'agent.completed', data: { ticket_id: 'PROJ-123', duration_seconds: 342, result: 'success' } };
    expect(summarizeEvent(event, '*')).toBe('*agent.completed* · ticket_id: PROJ-123 · duration_seconds: 342 · result: success');
  });

  test('shows non-object data as JSON', () => {
    expect(summarizeEvent({ ...incident, data: [1, 2] }, '*')).toBe('*incident.triggered* · [1,2]');
  });

  test('stays on one line and within 300 characters', () => {
    const summary = summarizeEvent({ ...incident, data: { message: `line one\nline two ${'x'.repeat(500)}` } }, '*');
    expect(summary).not.toContain('\n');
    expect(summary).toHaveLength(300);
    expect(summary.endsWith('…')).toBe(true);
  });
});
