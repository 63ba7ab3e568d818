import { describe, expect, test } from 'vitest';
import {
  changeProblem,
  createProblem,
  definitionShapeProblem,
  deleteProblem,
  EMPTY_SOURCE_BOOK,
  isSourceEnabled,
  rotateProblem,
  withChanged,
  withCreated,
  withDeleted,
  withReconciled,
  withRotated,
  type SourceBook,
  type SourceDefinition,
} from '../../domain/source-book.js';

const AT = '2026-11-30T10:00:00.000Z';
const LATER = '2026-11-30T11:00:00.000Z';

const definition = (id: string, extra: Partial<SourceDefinition> = {}): SourceDefinition => ({
  id,
  event_type: 'hook.called',
  enabled: true,
  auth: { mode: 'secret', header: 'x-webhook-secret' },
  ...extra,
});
const withEnv = (id: string): SourceDefinition => definition(id, { auth: { mode: 'secret', secret_env: 'S', header: 'x-webhook-secret' } });
const only = (book: SourceBook, id: string) => book.sources.find((source) => source.definition.id === id);

describe('the source book', () => {
  test('a new API source gets a generated secret unless it names a variable, and every change counts', () => {
    const book = withCreated(withCreated(EMPTY_SOURCE_BOOK, definition('gen'), AT), withEnv('env'), AT);
    expect(book.version).toBe(2);
    expect(only(book, 'gen')).toMatchObject({ origin: 'api', secretGeneration: 1, revision: 1, createdAt: AT });
    expect(only(book, 'env')).not.toHaveProperty('secretGeneration');
  });

  test('an id is taken while its source exists and for good once it is deleted', () => {
    const book = withCreated(EMPTY_SOURCE_BOOK, definition('a'), AT);
    expect(createProblem(book, definition('a'))).toEqual({ reason: 'conflict', message: 'source a exists' });
    const deleted = withDeleted(book, 'a');
    expect(only(deleted, 'a')).toBeUndefined();
    expect(createProblem(deleted, definition('a'))?.message).toContain('not given out again');
    expect(deleteProblem(deleted, 'a')).toMatchObject({ reason: 'not-found' });
  });

  test('a change keeps the generated secret, and a source that stops naming a variable never gets an old one back', () => {
    let book = withCreated(EMPTY_SOURCE_BOOK, definition('a'), AT);
    book = withChanged(book, definition('a', { name: 'renamed' }), LATER);
    expect(only(book, 'a')).toMatchObject({ secretGeneration: 1, revision: 2, changedAt: LATER, definition: { name: 'renamed' } });
    book = withChanged(book, withEnv('a'), LATER);
    expect(only(book, 'a')?.secretGeneration).toBe(1);
    expect(rotateProblem(book, 'a')?.message).toContain('takes its secret from S');
    book = withChanged(book, definition('a'), LATER);
    expect(only(book, 'a')?.secretGeneration).toBe(2);
    expect(rotateProblem(book, 'a')).toBeUndefined();
    expect(only(withRotated(book, 'a', LATER), 'a')?.secretGeneration).toBe(3);
  });

  test('the config file’s sources are added, changed only when the file changes, and kept disabled when dropped', () => {
    let book = withReconciled(EMPTY_SOURCE_BOOK, [withEnv('file')], AT);
    expect(only(book, 'file')).toMatchObject({ origin: 'config', revision: 1 });
    expect(changeProblem(book, 'file')?.reason).toBe('conflict');
    expect(deleteProblem(book, 'file')?.reason).toBe('conflict');

    const same = withReconciled(book, [withEnv('file')], LATER);
    expect(only(same, 'file')).toEqual(only(book, 'file'));

    book = withReconciled(book, [{ ...withEnv('file'), event_type: 'other.called' }], LATER);
    expect(only(book, 'file')).toMatchObject({ revision: 2, changedAt: LATER, definition: { event_type: 'other.called' } });

    book = withReconciled(book, [], LATER);
    const dropped = only(book, 'file');
    expect(dropped).toMatchObject({ removedFromConfig: true, revision: 3 });
    expect(dropped && isSourceEnabled(dropped)).toBe(false);
    expect(deleteProblem(book, 'file')).toBeUndefined();
  });

  test('the file wins over an API source or a deleted id of the same name', () => {
    let book = withCreated(EMPTY_SOURCE_BOOK, definition('shared'), AT);
    book = withDeleted(withCreated(book, definition('gone'), AT), 'gone');
    book = withReconciled(book, [withEnv('shared'), withEnv('gone')], LATER);
    expect(only(book, 'shared')).toMatchObject({ origin: 'config', definition: { auth: { secret_env: 'S' } } });
    expect(only(book, 'shared')).not.toHaveProperty('secretGeneration');
    expect(only(book, 'gone')?.origin).toBe('config');
    expect(book.deleted).toEqual([]);
  });

  test('a hand-made update without the fields the API needs is refused before it reaches history', () => {
    expect(definitionShapeProblem(definition('ok'))).toBeUndefined();
    expect(definitionShapeProblem({ id: 'x/y', event_type: 'a', enabled: true, auth: { mode: 'secret' } })).toBeDefined();
    expect(definitionShapeProblem({ id: 'x', event_type: 'a', enabled: true, auth: { mode: 'pigeon' } })).toBeDefined();
    expect(definitionShapeProblem('x')).toBeDefined();
  });
});
