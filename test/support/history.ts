import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { temporal } from '@temporalio/proto';
import { inject } from 'vitest';

/** A payload as the CLI prints it raw: metadata values and data in base64. */
interface RawPayload {
  readonly metadata: Record<string, string>;
  readonly data?: string;
}

/** A workflow's history as Temporal stores it, read with the CLI: payloads raw, never decoded by a codec. */
export interface StoredHistory {
  /** The CLI's JSON, followed by every payload's data decoded from base64: the text anyone with the database sees. */
  readonly text: string;
  /**
   * The `encoding` of every payload that carries workflow data, through the codecs: not search attributes, and not
   * the `data` of a local activity's marker, which the SDK's core writes itself (ids, attempt and times) and no codec
   * sees. What those hold is still in `text`.
   */
  readonly encodings: readonly string[];
}

export async function storedHistory(workflowId: string): Promise<StoredHistory> {
  const { stdout } = await promisify(execFile)(
    inject('temporalCliPath'),
    [
      'workflow',
      'show',
      '--workflow-id',
      workflowId,
      '--output',
      'json',
      '--no-json-shorthand-payloads',
      '--address',
      inject('temporalAddress'),
    ],
    { maxBuffer: 16 * 1024 * 1024 },
  );
  const decoded: string[] = [stdout];
  const encodings: string[] = [];
  const visit = (value: unknown, outsideCodecs: boolean): void => {
    if (Array.isArray(value)) return value.forEach((item) => visit(item, outsideCodecs));
    if (value === null || typeof value !== 'object') return;
    const record = value as Record<string, unknown>;
    if (isRawPayload(record)) {
      decoded.push(Buffer.from(record.data ?? '', 'base64').toString('utf8'));
      if (!outsideCodecs) encodings.push(Buffer.from(record.metadata['encoding'] ?? '', 'base64').toString('utf8'));
      return;
    }
    for (const [key, inner] of Object.entries(record)) {
      const coreMarker = key === 'details' && record['markerName'] === 'core_local_activity';
      if (coreMarker && inner !== null && typeof inner === 'object') {
        for (const [field, payloads] of Object.entries(inner as Record<string, unknown>))
          visit(payloads, outsideCodecs || field === 'data');
        continue;
      }
      visit(inner, outsideCodecs || key === 'searchAttributes');
    }
  };
  visit(JSON.parse(stdout), false);
  return { text: decoded.join('\n'), encodings };
}

function isRawPayload(record: Record<string, unknown>): record is Record<string, unknown> & RawPayload {
  return (
    typeof record['metadata'] === 'object' &&
    record['metadata'] !== null &&
    (record['data'] === undefined || typeof record['data'] === 'string')
  );
}

/** The events of one type in a history, in order. */
export function eventsOfType(
  history: temporal.api.history.v1.IHistory,
  type: temporal.api.enums.v1.EventType,
): temporal.api.history.v1.IHistoryEvent[] {
  return (history.events ?? []).filter((event) => event.eventType === type);
}

/** The summaries of a history's timers, in order: what the Web UI shows for each wait. */
export function timerSummaries(history: temporal.api.history.v1.IHistory): string[] {
  return (history.events ?? []).flatMap((event) => {
    const summary = event.timerStartedEventAttributes ? event.userMetadata?.summary?.data : undefined;
    return summary ? [JSON.parse(Buffer.from(summary).toString('utf8')) as string] : [];
  });
}
