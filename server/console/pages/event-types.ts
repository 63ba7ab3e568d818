import type { FastifyInstance } from 'fastify';
import { consoleRoute, type ConsoleContext } from '../context.js';
import { html } from '../html.js';
import { page } from '../layout.js';

interface EventTypeRow {
  readonly type: string;
  readonly description?: string;
  readonly schema?: Record<string, unknown>;
}

/**
 * A payload that fits a JSON Schema, for people to read: the schema's own example, default, const or first enum
 * value where it gives one, otherwise a plain value of its type, following properties and items.
 */
export function examplePayload(schema: unknown, depth = 0): unknown {
  if (typeof schema !== 'object' || schema === null || depth > 6) return null;
  const node = schema as Record<string, unknown>;
  if (Array.isArray(node['examples']) && node['examples'].length > 0) return node['examples'][0];
  for (const key of ['example', 'default', 'const']) if (key in node) return node[key];
  if (Array.isArray(node['enum']) && node['enum'].length > 0) return node['enum'][0];
  const type: unknown = Array.isArray(node['type']) ? (node['type'] as unknown[])[0] : node['type'];
  if (type === 'object' || node['properties']) {
    const properties = (node['properties'] ?? {}) as Record<string, unknown>;
    return Object.fromEntries(Object.entries(properties).map(([name, inner]) => [name, examplePayload(inner, depth + 1)]));
  }
  if (type === 'array') return [examplePayload(node['items'], depth + 1)];
  if (type === 'string')
    return node['format'] === 'date-time' ? '2026-01-15T10:30:00Z' : node['format'] === 'email' ? 'someone@example.com' : 'text';
  if (type === 'integer' || type === 'number') return typeof node['minimum'] === 'number' ? node['minimum'] : 1;
  if (type === 'boolean') return true;
  return null;
}

/** The event-type catalogue: each type, its description, its schema and a payload that fits it. */
export function registerEventTypePages(scope: FastifyInstance, context: ConsoleContext): void {
  consoleRoute(scope, context, 'GET', '/console/event-types', async ({ session, api }) => {
    const { body } = await api<{ data: EventTypeRow[] }>('GET', '/v1/event-types');
    return page(
      'Event types',
      session,
      body.data.length === 0
        ? html`<p>
            No catalogue: the gateway takes events of any type. Add <code>event_types</code> to the config file to name and check them.
          </p>`
        : html`${body.data.map(
            (entry) =>
              html`<section>
                <h2 id="${entry.type}">${entry.type}</h2>
                ${entry.description ? html`<p>${entry.description}</p>` : ''}
                ${
                  entry.schema
                    ? html`<details>
                          <summary>JSON Schema</summary>
                          <pre>${JSON.stringify(entry.schema, null, 2)}</pre>
                        </details>
                        <p>An event that fits:</p>
                        <pre>${JSON.stringify({ type: entry.type, data: examplePayload(entry.schema) }, null, 2)}</pre>`
                    : html`<p>Any payload.</p>`
                }
              </section>`,
          )}`,
    );
  });
}
