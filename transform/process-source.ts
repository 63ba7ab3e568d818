/**
 * The program each transform process runs, as plain JavaScript: it is started with `node -e`, so it runs the same under
 * tsx, vitest and the compiled package. It compiles each expression once, evaluates it with JSONata's own guards
 * (time, recursion depth, sequence length), and answers with the JSON body or the error, never throwing. Whatever
 * an expression does beyond that (a runaway regular expression, a string of a gigabyte) ends this process only.
 */
export const TRANSFORM_PROCESS_SOURCE = String.raw`
const jsonata = require(process.argv[1]);
const timeoutMs = Number(process.argv[2]);
const maxBodyBytes = Number(process.argv[3]);
const maxDepth = Number(process.argv[4]);
const compiled = new Map();

// Iterative, so that any depth is safe to ask about (domain/json-depth.ts's exceedsJsonDepth, which this program, run
// with node -e, cannot import). Code that reads JSON recursively (a receiver's parser, the API's own response check)
// would not survive a body thousands of levels deep, however small.
function nestsDeeper(value, limit) {
  const stack = [[value, 1]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop();
    if (current === null || typeof current !== 'object') continue;
    if (depth > limit) return true;
    for (const child of Object.values(current)) stack.push([child, depth + 1]);
  }
  return false;
}

function describe(error) {
  if (typeof error !== 'object' || error === null) return String(error);
  const text = typeof error.message === 'string' ? error.message : String(error);
  const where = typeof error.position === 'number' ? ' (at character ' + error.position + ')' : '';
  return (typeof error.code === 'string' ? error.code + ': ' : '') + text + where;
}

function expressionOf(text) {
  let expression = compiled.get(text);
  if (expression === undefined) {
    expression = jsonata(text, { timeout: timeoutMs, stack: 200, sequence: 100000 });
    // Endpoints are few; a bound keeps a stream of previews from growing the cache for ever.
    if (compiled.size >= 500) compiled.clear();
    compiled.set(text, expression);
  }
  return expression;
}

process.on('disconnect', () => process.exit(0));
process.on('message', async ({ id, expression, input }) => {
  try {
    const result = await expressionOf(expression).evaluate(input);
    if (nestsDeeper(result, maxDepth)) {
      process.send({ id, error: 'the body it made nests deeper than ' + maxDepth + ' levels' });
      return;
    }
    // Sized before it is written out: a huge result must not be serialized, let alone sent.
    const body = result === undefined ? undefined : JSON.stringify(result);
    if (body === undefined) {
      process.send({ id, error: 'the expression gave no value for this event (nothing to send)' });
    } else if (Buffer.byteLength(body) > maxBodyBytes) {
      process.send({ id, error: 'the body it made is ' + Buffer.byteLength(body) + ' bytes, over the limit of ' + maxBodyBytes });
    } else {
      process.send({ id, body });
    }
  } catch (error) {
    process.send({ id, error: describe(error) });
  }
});
`;
