/**
 * The `application/json` body parser of the webhook: before JSON.parse, one linear pass counts the
 * body's JSON values (object members and array elements) and refuses a body with more than
 * MAX_JSON_VALUES. Parsing and then walking a body costs per value, not per byte: a 4 MiB body of one
 * string parses in a few ms, the same 4 MiB as 300 000 tiny members costs over 100 ms. No pod the API
 * server can send comes near the limit (docs/operations.md, "Threat model"). Accepted bodies go to
 * fastify's own JSON parser (secure-json-parse: `__proto__` and `constructor.prototype` keys are errors).
 */
import type { FastifyInstance } from "fastify";

/** Far above the pods that ask for injection: an Airflow 3 KubernetesExecutor worker as the API server
 * sends it has ~500; 16 containers of 100 env entries each with their managedFields ~17 000. */
export const MAX_JSON_VALUES = 25_000;

export class TooManyJsonValuesError extends Error {
  readonly statusCode = 413;
  readonly code = "AVI_TOO_MANY_JSON_VALUES";
  constructor(readonly limit: number) {
    super(`request body has more than ${limit} JSON values (object members and array elements); no pod the API server sends has that many`);
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const BRACE = 0x7b;
const BRACKET = 0x5b;

/**
 * Counts `{`, `[` and `,` outside strings — every member or element after the first of its container
 * adds a comma, every container one bracket, so this is at least the number of values minus the
 * scalar top level. Stops as soon as the count passes `max`; strings are skipped with indexOf.
 * Malformed text is left to JSON.parse.
 */
export function countJsonValues(text: string, max: number): number {
  let count = 0;
  const length = text.length;
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      i = endOfString(text, i + 1);
      if (i < 0) return count;
    } else if (c === COMMA || c === BRACE || c === BRACKET) {
      if (++count > max) return count;
    }
  }
  return count;
}

/** Index of the quote closing the string that starts at `from`, or -1. */
function endOfString(text: string, from: number): number {
  let i = from;
  for (;;) {
    const quote = text.indexOf('"', i);
    if (quote < 0) return -1;
    let backslashes = 0;
    while (text.charCodeAt(quote - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return quote;
    i = quote + 1;
  }
}

/** Replaces fastify's `application/json` parser with the counted one. */
export function useCountedJsonParser(app: FastifyInstance, maxValues = MAX_JSON_VALUES): void {
  const parse = app.getDefaultJsonParser("error", "error");
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (req, body, done) => {
    const text = body as string;
    if (countJsonValues(text, maxValues) > maxValues) {
      done(new TooManyJsonValuesError(maxValues), undefined);
      return;
    }
    void parse(req, text, done);
  });
}
