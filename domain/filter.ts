/**
 * Payload filters: a JSON match on an event, applied at routing, in the style of Convoy's and Outpost's filters.
 *
 * A filter is an object whose entries must all hold. A key is a field path into the event (`data.total`, dots for
 * nesting, digits for array positions) or a logical operator (`$and`, `$or`, `$not`). A field's value is:
 * - an object of operators (`{ "$gt": 100 }`): each must hold;
 * - an object of fields (`{ "total": 5 }`, logical operators allowed): a filter on that part of the event;
 * - anything else: the field must equal it (deeply, for arrays).
 *
 * Pure, with no I/O: routing runs it for every event and endpoint, and config loading validates with it.
 */

import { exceedsJsonDepth } from './json-depth.js';

/** A filter as written in the configuration or the API. */
export type PayloadFilter = Readonly<Record<string, unknown>>;

/** Whether an event passed a filter, and when it did not, the first condition it failed, in words. */
export type FilterVerdict = { readonly matched: true } | { readonly matched: false; readonly reason: string };

/** A mistake in a filter, located by the path from the filter's root (as zod paths are). */
export interface FilterProblem {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/** The operators a field may be compared with. */
export const FIELD_OPERATORS = ['$eq', '$ne', '$in', '$nin', '$gt', '$gte', '$lt', '$lte', '$exists', '$contains'] as const;
/** The operators that combine filters. */
export const LOGICAL_OPERATORS = ['$and', '$or', '$not'] as const;

// Bounds that keep a filter cheap to run on every event: it is evaluated at ingest, in the request's own time.
const MAX_FILTER_BYTES = 8 * 1024;
const MAX_FILTER_DEPTH = 10;
const MAX_LIST_ITEMS = 100;
const MAX_FILTER_JSON_DEPTH = 32;

type FieldOperator = (typeof FIELD_OPERATORS)[number];
type Path = readonly (string | number)[];

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isOperator = (key: string): boolean => key.startsWith('$');
const isFieldOperator = (key: string): key is FieldOperator => (FIELD_OPERATORS as readonly string[]).includes(key);
const isComparable = (value: unknown): value is number | string => typeof value === 'number' || typeof value === 'string';

/** Every mistake in `filter`, or none when it can be run. */
export function filterProblems(filter: unknown): FilterProblem[] {
  if (!isPlainObject(filter)) return [{ path: [], message: 'a filter is an object of field paths and operators' }];
  const size = JSON.stringify(filter).length;
  if (size > MAX_FILTER_BYTES) {
    return [{ path: [], message: `a filter is at most ${MAX_FILTER_BYTES} bytes as JSON (this one is ${size})` }];
  }
  // Values compared deeply (an $eq of an object, an $in of arrays) are bounded too, not only the operators' nesting.
  if (exceedsJsonDepth(filter, MAX_FILTER_JSON_DEPTH))
    return [{ path: [], message: `a filter nests at most ${MAX_FILTER_JSON_DEPTH} deep as JSON` }];
  const problems: FilterProblem[] = [];
  checkFilter(filter, [], 1, problems);
  return problems;
}

function checkFilter(filter: Record<string, unknown>, path: Path, depth: number, problems: FilterProblem[]): void {
  if (depth > MAX_FILTER_DEPTH) return void problems.push({ path, message: `filters nest at most ${MAX_FILTER_DEPTH} deep` });
  for (const [key, value] of Object.entries(filter)) {
    const at = [...path, key];
    if (key === '$and' || key === '$or') {
      if (!Array.isArray(value) || value.length === 0 || value.length > MAX_LIST_ITEMS) {
        problems.push({ path: at, message: `${key} takes a list of 1 to ${MAX_LIST_ITEMS} filters` });
        continue;
      }
      value.forEach((inner, index) => {
        if (isPlainObject(inner)) checkFilter(inner, [...at, index], depth + 1, problems);
        else problems.push({ path: [...at, index], message: 'a filter is an object of field paths and operators' });
      });
    } else if (key === '$not') {
      if (isPlainObject(value)) checkFilter(value, at, depth + 1, problems);
      else problems.push({ path: at, message: '$not takes a filter (an object)' });
    } else if (isOperator(key)) {
      problems.push({
        path: at,
        message: `unknown operator: fields take ${FIELD_OPERATORS.join(' ')}; filters take ${LOGICAL_OPERATORS.join(' ')}`,
      });
    } else if (!/^[^.]+(?:\.[^.]+)*$/.test(key)) {
      problems.push({ path: at, message: 'a field path is names joined by single dots, e.g. data.customer.id' });
    } else {
      checkCondition(value, at, depth, problems);
    }
  }
}

function checkCondition(condition: unknown, path: Path, depth: number, problems: FilterProblem[]): void {
  if (!isPlainObject(condition)) return;
  const keys = Object.keys(condition);
  const operators = keys.filter(isFieldOperator);
  if (operators.length === 0) return checkFilter(condition, path, depth + 1, problems);
  if (operators.length !== keys.length) {
    problems.push({ path, message: 'mixes operators and fields: compare an object with { "$eq": {…} }, or nest fields without operators' });
    return;
  }
  for (const [operator, operand] of Object.entries(condition)) {
    const at = [...path, operator];
    if ((operator === '$in' || operator === '$nin') && (!Array.isArray(operand) || operand.length > MAX_LIST_ITEMS)) {
      problems.push({ path: at, message: `${operator} takes a list of at most ${MAX_LIST_ITEMS} values` });
    } else if (['$gt', '$gte', '$lt', '$lte'].includes(operator) && !isComparable(operand)) {
      problems.push({ path: at, message: `${operator} compares with a number or a string` });
    } else if (operator === '$exists' && typeof operand !== 'boolean') {
      problems.push({ path: at, message: '$exists takes true or false' });
    }
  }
}

/** Whether `event` passes `filter`, which must be free of {@link filterProblems}. */
export function matchFilter(filter: PayloadFilter, event: unknown): FilterVerdict {
  const failure = failedCondition(filter, event, '');
  // Reasons travel in the delivery's input, a hundred at most: each is kept short, however the filter nests.
  return failure === undefined ? { matched: true } : { matched: false, reason: shorten(failure, MAX_REASON_LENGTH) };
}

const MAX_REASON_LENGTH = 300;
// An $or's reason names the first few alternatives that failed, not all of them.
const MAX_ALTERNATIVES_NAMED = 3;

const shorten = (text: string, length: number): string => (text.length > length ? `${text.slice(0, length - 1)}…` : text);

// The first condition of `filter` that `value` fails, in words; undefined when all hold.
function failedCondition(filter: Readonly<Record<string, unknown>>, value: unknown, base: string): string | undefined {
  for (const [key, condition] of Object.entries(filter)) {
    const failure =
      key === '$and'
        ? (condition as Record<string, unknown>[]).map((inner) => failedCondition(inner, value, base)).find(Boolean)
        : key === '$or'
          ? failedAlternatives(condition as Record<string, unknown>[], value, base)
          : key === '$not'
            ? failedCondition(condition as Record<string, unknown>, value, base) === undefined
              ? `${base || 'the event'} matched the filter under $not`
              : undefined
            : failedField(lookup(value, key), joinPath(base, key), condition);
    if (failure !== undefined) return failure;
  }
  return undefined;
}

function failedAlternatives(alternatives: readonly Record<string, unknown>[], value: unknown, base: string): string | undefined {
  const failures: string[] = [];
  for (const inner of alternatives) {
    const failure = failedCondition(inner, value, base);
    if (failure === undefined) return undefined;
    failures.push(failure);
  }
  const named = failures.slice(0, MAX_ALTERNATIVES_NAMED).join('; ');
  return `none of $or held (${failures.length > MAX_ALTERNATIVES_NAMED ? `${named}; …` : named})`;
}

const MISSING = Symbol('missing');
// A value found in the event, or MISSING when the path leads nowhere (unlike undefined, which JSON cannot hold).
type Found = unknown;

function failedField(found: Found, path: string, condition: unknown): string | undefined {
  if (!isPlainObject(condition)) {
    return found !== MISSING && deepEqual(found, condition) ? undefined : `${describe(path, found)}, not ${show(condition)}`;
  }
  // Without a field operator the object is a filter on the field's own value, which may use $and, $or and $not.
  if (!Object.keys(condition).some(isFieldOperator)) {
    if (found === MISSING) return `${path} is missing`;
    return failedCondition(condition, found, path);
  }
  for (const [operator, operand] of Object.entries(condition)) {
    if (!holds(operator as FieldOperator, found, operand)) return `${describe(path, found)}, which fails ${operator} ${show(operand)}`;
  }
  return undefined;
}

function holds(operator: FieldOperator, found: Found, operand: unknown): boolean {
  switch (operator) {
    case '$eq':
      return found !== MISSING && deepEqual(found, operand);
    case '$ne':
      return found === MISSING || !deepEqual(found, operand);
    case '$in':
      return found !== MISSING && (operand as unknown[]).some((candidate) => deepEqual(found, candidate));
    case '$nin':
      return found === MISSING || !(operand as unknown[]).some((candidate) => deepEqual(found, candidate));
    case '$exists':
      return (found !== MISSING) === operand;
    case '$contains':
      if (typeof found === 'string') return typeof operand === 'string' && found.includes(operand);
      return Array.isArray(found) && found.some((item) => deepEqual(item, operand));
    default:
      // Orders compare numbers with numbers and text with text; across kinds nothing is greater or smaller.
      if (!isComparable(found) || typeof found !== typeof operand) return false;
      return compare(operator, found, operand as number | string);
  }
}

function compare(operator: '$gt' | '$gte' | '$lt' | '$lte', found: number | string, operand: number | string): boolean {
  if (operator === '$gt') return found > operand;
  if (operator === '$gte') return found >= operand;
  if (operator === '$lt') return found < operand;
  return found <= operand;
}

function lookup(value: unknown, path: string): Found {
  let current: unknown = value;
  for (const segment of path.split('.')) {
    if (Array.isArray(current) && /^\d+$/.test(segment) && Number(segment) < current.length) current = current[Number(segment)];
    else if (isPlainObject(current) && Object.hasOwn(current, segment)) current = current[segment];
    else return MISSING;
  }
  return current;
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((item, index) => deepEqual(item, b[index]));
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((key) => Object.hasOwn(b, key) && deepEqual(a[key], b[key]));
  }
  return false;
}

const joinPath = (base: string, key: string): string => (base ? `${base}.${key}` : key);
const describe = (path: string, found: Found): string => (found === MISSING ? `${path} is missing` : `${path} is ${show(found)}`);

// Values in reasons are cut short: a reason is stored with the event, and the value may be large.
function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}
