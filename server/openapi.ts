import fastifySwagger, { type FastifyDynamicSwaggerOptions } from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import type { z } from 'zod';

/** Where the interactive reference is served. */
export const DOCS_PREFIX = '/docs';

type Transform = NonNullable<FastifyDynamicSwaggerOptions['transform']>;

/** A body schema given per media type, which Fastify validates by the request's Content-Type. */
export interface BodyByMediaType {
  readonly content: Readonly<Record<string, { readonly schema: z.ZodType }>>;
}

function isBodyByMediaType(body: unknown): body is BodyByMediaType {
  return typeof body === 'object' && body !== null && 'content' in body;
}

/**
 * The type provider turns zod schemas into JSON Schema, but not a body given per media type; each of those is
 * converted on its own here, the same way, and put back under its media type.
 */
const transform: Transform = (input) => {
  const { schema, url } = input;
  const body: unknown = schema?.body;
  if (!isBodyByMediaType(body)) return jsonSchemaTransform(input);
  const { schema: rest } = jsonSchemaTransform({ ...input, schema: { ...schema, body: undefined } });
  const content = Object.fromEntries(
    Object.entries(body.content).map(([mediaType, { schema: bodySchema }]) => [
      mediaType,
      { schema: (jsonSchemaTransform({ ...input, schema: { body: bodySchema } }).schema as { body: unknown }).body },
    ]),
  );
  return { schema: { ...rest, body: { content } }, url };
};

/** Serves the OpenAPI 3.1 document at `/openapi.json` and the interactive reference at `/docs`. */
export async function registerOpenApi(app: FastifyInstance, version: string): Promise<void> {
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'temporal-webhooks',
        version,
        description:
          'A durable webhook gateway on Temporal. Events are accepted once they are stored in Temporal; every error is application/problem+json.',
      },
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'an API key from api.keys' } } },
      tags: [
        { name: 'events', description: 'send events and follow their deliveries' },
        { name: 'endpoints', description: 'where events go, and their control' },
        { name: 'sources', description: 'inbound webhooks from other systems' },
        { name: 'health', description: 'liveness and readiness' },
        { name: 'codec', description: 'the codec server of the Temporal Web UI' },
      ],
    },
    transform,
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(fastifySwaggerUi, { routePrefix: DOCS_PREFIX, uiConfig: { deepLinking: true } });
  app.get('/openapi.json', { schema: { hide: true }, config: { access: 'public' } }, () => app.swagger());
}
