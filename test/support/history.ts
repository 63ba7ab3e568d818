import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
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
  /** The `encoding` of every payload outside search attributes, which no codec ever touches. */
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
  const visit = (value: unknown, inSearchAttributes: boolean): void => {
    if (Array.isArray(value)) return value.forEach((item) => visit(item, inSearchAttributes));
    if (value === null || typeof value !== 'object') return;
    const record = value as Record<string, unknown>;
    if (isRawPayload(record)) {
      decoded.push(Buffer.from(record.data ?? '', 'base64').toString('utf8'));
      if (!inSearchAttributes) encodings.push(Buffer.from(record.metadata['encoding'] ?? '', 'base64').toString('utf8'));
      return;
    }
    for (const [key, inner] of Object.entries(record)) visit(inner, inSearchAttributes || key === 'searchAttributes');
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
