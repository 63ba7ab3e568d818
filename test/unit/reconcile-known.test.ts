import { describe, expect, test } from 'vitest';
import { EndpointSchema } from '../../domain/endpoint.js';
import { mergeKnownEntities, type KnownEntity } from '../../gateway/reconcile.js';

const entity = (id: string, revision: number, status: KnownEntity['status'] = 'active'): KnownEntity => ({
  endpoint: EndpointSchema.parse({ id, url: `https://hooks.example.com/${id}`, events: ['*'] }),
  source: 'config',
  status,
  revision,
});
const view = (known: Map<string, KnownEntity>) =>
  [...known.values()].map(({ endpoint, revision, status }) => [endpoint.id, revision, status]);

describe('mergeKnownEntities', () => {
  test('knows an entity the listing does not show yet, from the change log or from this process', () => {
    const known = mergeKnownEntities([entity('old', 1)], [{ state: entity('announced', 1) }], [entity('made-here', 1)]);
    expect(view(known)).toEqual([
      ['old', 1, 'active'],
      ['announced', 1, 'active'],
      ['made-here', 1, 'active'],
    ]);
  });

  test('takes the highest revision, and of equal revisions the fresher source', () => {
    const known = mergeKnownEntities(
      [entity('a', 3), entity('b', 1)],
      [{ state: entity('a', 2) }, { state: entity('b', 1, 'paused') }],
      [entity('b', 2)],
    );
    expect(view(known)).toEqual([
      ['a', 3, 'active'],
      ['b', 2, 'active'],
    ]);
  });

  test('forgets an entity the change log says was retired, whatever the listing still shows', () => {
    const known = mergeKnownEntities([entity('gone', 1)], [{ state: entity('gone', 1), retired: true }], []);
    expect(view(known)).toEqual([]);
  });
});
