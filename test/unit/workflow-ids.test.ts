import { describe, expect, test } from 'vitest';
import {
  endpointWorkflowId,
  eventIdOfWorkflowId,
  eventWorkflowId,
  partWorkflowId,
  redeliveryWorkflowId,
} from '../../domain/workflow-ids.js';
import { endpointDeliveriesQuery, quoteValue, retryingDeliveriesQuery, runningEndpointEntitiesQuery } from '../../gateway/visibility.js';

describe('workflow ids', () => {
  test('are built as stored executions have them', () => {
    expect(eventWorkflowId('order-1001.paid')).toBe('event/order-1001.paid');
    expect(partWorkflowId('event/evt_1', 0)).toBe('event/evt_1/part-1');
    expect(redeliveryWorkflowId('evt_1', new Date(1_767_225_600_000))).toBe('event/evt_1/redelivery-mjuohs00');
    expect(endpointWorkflowId('crm')).toBe('endpoint/crm');
  });

  test.each([
    ['event/evt_1', 'evt_1'],
    ['event/a:b@c+d=e.f', 'a:b@c+d=e.f'],
    ['event/evt_1/part-3', 'evt_1'],
    ['event/evt_1/redelivery-mjuohs00', 'evt_1'],
    ['endpoint/crm', undefined],
    ['event/', undefined],
    ['checkout-42', undefined],
  ])('%s is the delivery of event %s', (workflowId, eventId) => {
    expect(eventIdOfWorkflowId(workflowId)).toBe(eventId);
  });
});

describe('visibility queries', () => {
  test('quote every value, so that an id cannot end the string and widen the query', () => {
    expect(quoteValue("it's")).toBe("'it\\'s'");
    expect(quoteValue('a\\')).toBe("'a\\\\'");
    expect(runningEndpointEntitiesQuery("q' OR '1'='1")).toBe(
      "WorkflowType = 'webhookEndpoint' AND ExecutionStatus = 'Running' AND TaskQueue = 'q\\' OR \\'1\\'=\\'1'",
    );
  });

  test('name the workflow type and search attributes by their definitions', () => {
    expect(endpointDeliveriesQuery('crm')).toBe("WorkflowType = 'deliverEvent' AND WebhookEndpointIds = 'crm'");
    expect(endpointDeliveriesQuery('crm', { status: 'failed', since: new Date('2026-03-01T00:00:00.000Z') })).toBe(
      "WorkflowType = 'deliverEvent' AND WebhookEndpointIds = 'crm' AND WebhookStatus = 'failed' AND StartTime >= '2026-03-01T00:00:00.000Z'",
    );
  });

  test('find the retries waiting for one endpoint by its own attribute, and older deliveries by the event’s status', () => {
    const waiting =
      "WorkflowType = 'deliverEvent' AND (WebhookRetryingEndpointIds = 'o\\'brien' OR " +
      "(WebhookEndpointIds = 'o\\'brien' AND WebhookStatus = 'retrying' AND WebhookRetryingEndpointIds IS NULL))";
    expect(endpointDeliveriesQuery("o'brien", { status: 'retrying' })).toBe(waiting);
    expect(retryingDeliveriesQuery("o'brien")).toBe(`${waiting} AND ExecutionStatus = 'Running'`);
  });
});
