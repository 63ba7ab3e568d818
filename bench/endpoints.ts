import { createLimiter } from '../domain/limiter.js';

const CREATE_CONCURRENCY = 16;

/** Creates `count` endpoints through the API, as an operator would, 16 requests at a time. */
export async function createEndpoints(apiUrl: string, count: number, definitionOf: (index: number) => object): Promise<void> {
  const limit = createLimiter(CREATE_CONCURRENCY);
  await Promise.all(
    Array.from({ length: count }, (_, index) =>
      limit(async () => {
        const response = await fetch(`${apiUrl}/v1/endpoints`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(definitionOf(index)),
        });
        if (response.status !== 201) throw new Error(`creating endpoint ${index} answered ${response.status}: ${await response.text()}`);
      }),
    ),
  );
}
