import { allHandlersFinished, ApplicationFailure, condition, continueAsNew, setHandler, uuid4, workflowInfo } from '@temporalio/workflow';
import {
  changeProblem,
  createProblem,
  deleteProblem,
  definitionShapeProblem,
  EMPTY_SOURCE_BOOK,
  rotateProblem,
  withChanged,
  withCreated,
  withDeleted,
  withReconciled,
  withRotated,
  type SourceBook,
  type SourceBookProblem,
  type SourceDefinition,
} from '../domain/source-book.js';
import {
  changeSourceUpdate,
  createSourceUpdate,
  deleteSourceUpdate,
  reconcileSourcesUpdate,
  rotateSourceSecretUpdate,
  sourcesQuery,
} from './messages.js';

/** Input of {@link webhookSourceDirectory}: the book a run starts from. */
export interface SourceDirectoryInput {
  readonly book?: SourceBook;
  /** Continue as new after this many changes even if Temporal does not suggest it yet (tests use it). */
  readonly changesPerRun?: number;
}

const DEFAULT_CHANGES_PER_RUN = 500;

/**
 * The book of a task queue's inbound sources, `sources/<task queue>`: one small workflow rather than one per source,
 * because sources are few, a deleted id must stay taken for longer than any retention keeps a closed workflow, and
 * every API process reads the whole book at once. Changes are updates whose validators refuse what cannot be done
 * before it reaches history; API processes follow the history with a long poll and read the book again on news.
 */
export async function webhookSourceDirectory(input: SourceDirectoryInput = {}): Promise<void> {
  // A book that starts empty starts a new epoch: readers then take its versions afresh.
  let book = input.book ?? { ...EMPTY_SOURCE_BOOK, epoch: uuid4() };
  let changes = 0;
  const now = (): string => new Date().toISOString();
  // Every change answers with the whole book (a few kilobytes), so that the API process that asked serves it at once.
  const change = (next: SourceBook): SourceBook => {
    book = next;
    changes++;
    return book;
  };

  setHandler(createSourceUpdate, (definition) => change(withCreated(book, definition, now())), {
    validator: (definition: SourceDefinition) => refuse(definitionShapeProblem(definition) ?? createProblem(book, definition)),
  });
  setHandler(changeSourceUpdate, (definition) => change(withChanged(book, definition, now())), {
    validator: (definition: SourceDefinition) => refuse(definitionShapeProblem(definition) ?? changeProblem(book, definition.id)),
  });
  setHandler(rotateSourceSecretUpdate, (id) => change(withRotated(book, id, now())), {
    validator: (id: string) => refuse(rotateProblem(book, id)),
  });
  setHandler(deleteSourceUpdate, (id) => change(withDeleted(book, id)), {
    validator: (id: string) => refuse(deleteProblem(book, id)),
  });
  setHandler(reconcileSourcesUpdate, (definitions) => change(withReconciled(book, definitions, now())), {
    validator: (definitions: readonly SourceDefinition[]) =>
      refuse(definitions.map(definitionShapeProblem).find((problem) => problem !== undefined)),
  });
  setHandler(sourcesQuery, () => book);

  const limit = input.changesPerRun ?? DEFAULT_CHANGES_PER_RUN;
  await condition(() => changes >= limit || workflowInfo().continueAsNewSuggested);
  await condition(allHandlersFinished);
  await continueAsNew<typeof webhookSourceDirectory>({ ...input, book });
}

// The problem's reason is the failure's type, which the API turns into 404 or 409.
function refuse(problem: SourceBookProblem | undefined): void {
  if (problem) throw ApplicationFailure.create({ type: problem.reason, message: problem.message, nonRetryable: true });
}
