import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { chromiumPath } from '../support/chromium.js';
import { startApi, type TestApi } from '../support/gateway.js';

// The API's description is generated from the same zod schemas that validate requests; here it is checked against
// the OpenAPI 3.1 schema and against the routes the app really has.

interface Operation {
  readonly security?: readonly Record<string, unknown>[];
  readonly requestBody?: { readonly content: Record<string, unknown> };
  readonly responses: Record<string, unknown>;
}
interface OpenApiDocument {
  readonly openapi: string;
  readonly paths: Record<string, Record<string, Operation>>;
  readonly components: { readonly schemas: Record<string, unknown>; readonly securitySchemes: Record<string, unknown> };
}

let api: TestApi;
let document: OpenApiDocument;

beforeAll(async () => {
  api = await startApi(
    {
      api: { keys: [{ id: 'docs', key_env: 'DOCS_KEY' }] },
      event_types: [{ type: 'order.created', schema: { type: 'object' } }],
      sources: [{ id: 'alerts', event_type: 'order.created', auth: { mode: 'secret', secret_env: 'ALERTS_SECRET' } }],
    },
    { DOCS_KEY: 'docs-key-0123456789', ALERTS_SECRET: 'alerts' },
  );
  document = (await (await fetch(`${api.url}/openapi.json`)).json()) as OpenApiDocument;
});

afterAll(async () => {
  await api?.stop();
});

describe('/openapi.json', () => {
  test('is a valid OpenAPI 3.1 document', async () => {
    const validator = new Validator();
    const result = await validator.validate(document as unknown as Parameters<Validator['validate']>[0]);
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
    expect(document.openapi).toBe('3.1.0');
  });

  test('describes every route, with the key every /v1 route but a source’s needs', () => {
    const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, operation]) => ({ name: `${method.toUpperCase()} ${path}`, operation })),
    );
    expect(operations.map((entry) => entry.name)).toEqual(
      expect.arrayContaining([
        'POST /v1/events',
        'POST /v1/events/batch',
        'GET /v1/events/{id}',
        'POST /v1/events/{id}/redeliver',
        'GET /v1/event-types',
        'POST /v1/endpoints',
        'PATCH /v1/endpoints/{id}',
        'POST /v1/endpoints/{id}/pause',
        'GET /v1/endpoints/{id}/deliveries',
        'POST /v1/sources/{id}',
        'GET /v1/sources/{id}/invocations',
        'GET /healthz',
        'GET /readyz',
      ]),
    );
    for (const { name, operation } of operations.filter(
      (entry) => entry.name.includes(' /v1/') && entry.name !== 'POST /v1/sources/{id}',
    )) {
      expect(operation.security, name).toEqual([{ apiKey: [] }]);
    }
    expect(document.components.securitySchemes).toHaveProperty('apiKey');
  });

  test('gives events both JSON and CloudEvents bodies, and every error the one problem shape', () => {
    const sendEvent = document.paths['/v1/events']?.['post'];
    expect(Object.keys(sendEvent?.requestBody?.content ?? {})).toEqual(['application/json', 'application/cloudevents+json']);
    expect(Object.keys(sendEvent?.responses ?? {})).toEqual(
      expect.arrayContaining(['202', '400', '401', '409', '413', '415', '422', '429']),
    );
    expect(sendEvent?.responses['400']).toMatchObject({
      content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
    });
    expect(document.components.schemas).toHaveProperty('Problem');
  });
});

describe('/docs', () => {
  test('serves the interactive reference, its assets and the document it reads', async () => {
    const page = await fetch(`${api.url}/docs/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await page.text();
    expect(html).toContain('swagger-ui');
    for (const asset of [...html.matchAll(/(?:src|href)="\.\/([^"?]+)"/g)].map((match) => match[1])) {
      const response = await fetch(`${api.url}/docs/${asset}`);
      // Read to the end: a body left unread keeps its connection busy, and closing the API would wait for it.
      expect((await response.arrayBuffer()).byteLength, asset).toBeGreaterThan(0);
      expect(response.status, asset).toBe(200);
    }
    const initializer = await (await fetch(`${api.url}/docs/static/swagger-initializer.js`)).text();
    expect(initializer).toContain('json');
    const served = (await (await fetch(`${api.url}/docs/json`)).json()) as OpenApiDocument;
    expect(Object.keys(served.paths)).toEqual(Object.keys(document.paths));
  });
});

describe('/docs in a browser', () => {
  test('renders every operation of the document in headless Chromium', async () => {
    // Swagger UI builds the page in the browser from /docs/json; the DOM after its scripts ran shows whether it did.
    const { stdout } = await promisify(execFile)(
      chromiumPath(),
      ['--headless', '--no-sandbox', '--disable-gpu', '--virtual-time-budget=10000', '--dump-dom', `${api.url}/docs/`],
      { timeout: 60_000, maxBuffer: 32 * 1024 * 1024 },
    );
    const operations = Object.values(document.paths).flatMap((methods) => Object.keys(methods)).length;
    expect(stdout).toContain('temporal-webhooks');
    expect(stdout.match(/class="opblock opblock-/g)?.length).toBe(operations);
    expect(stdout).toContain('/v1/events/batch');
  }, 90_000);
});
