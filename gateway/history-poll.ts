import proto from '@temporalio/proto';

const { EventType } = proto.temporal.api.enums.v1;

/**
 * The events that end a run other than continue-as-new: a followed workflow that never ends on its own was ended from
 * outside, and must be started again.
 */
export const CLOSING_EVENTS = new Set<proto.temporal.api.enums.v1.EventType>([
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED,
]);
