/**
 * The part of SCIM's filter language (RFC 7644 §3.4.2.2) that provisioning clients send:
 * `attr eq "value"` joined by `and` / `or`, with parentheses. Attribute names are compared
 * without regard to case and may carry their schema URN. Anything else (other operators,
 * `not`, value paths like `emails[type eq "work"]`) is refused with a message naming it, so
 * the client's administrator sees why, instead of getting a wrong answer.
 */

export type FilterValue = string | number | boolean | null;

export type Filter =
  | { op: 'eq'; attr: string; value: FilterValue }
  | { op: 'and' | 'or'; left: Filter; right: Filter };

/** A filter the parser does not accept; the message is safe to show to the client. */
export class FilterError extends Error {}

const MAX_LENGTH = 2000;
const MAX_TERMS = 50;
const UNSUPPORTED_OPS = new Set(['ne', 'co', 'sw', 'ew', 'gt', 'lt', 'ge', 'le', 'pr']);

type Token = { kind: 'word'; text: string } | { kind: 'string'; text: string } | { kind: '(' | ')' };

function tokenize(input: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const ch = input[i];
    if (/\s/.test(ch)) {
      i++;
    } else if (ch === '(' || ch === ')') {
      out.push({ kind: ch });
      i++;
    } else if (ch === '"') {
      // A JSON string literal, escapes included.
      let j = i + 1;
      while (j < input.length && input[j] !== '"') j += input[j] === '\\' ? 2 : 1;
      if (j >= input.length) throw new FilterError('The filter has a string without its closing quote.');
      try {
        out.push({ kind: 'string', text: JSON.parse(input.slice(i, j + 1)) as string });
      } catch {
        throw new FilterError('The filter has a string with an invalid escape.');
      }
      i = j + 1;
    } else if (ch === '[' || ch === ']') {
      throw new FilterError('Filters on values inside brackets (like emails[type eq "work"]) are not supported; filter on emails.value instead.');
    } else {
      let j = i;
      while (j < input.length && !/[\s()"[\]]/.test(input[j])) j++;
      out.push({ kind: 'word', text: input.slice(i, j) });
      i = j;
    }
  }
  return out;
}

const CORE_URN = /^urn:ietf:params:scim:schemas:core:2\.0:(user|group):/i;

/** An attribute path in lower case without its core schema URN: `emails.value`, `username`. */
export function normalizeAttr(path: string): string {
  return path.replace(CORE_URN, '').toLowerCase();
}

/** Parses a filter; throws FilterError with a message for the client. */
export function parseFilter(input: string): Filter {
  if (input.length > MAX_LENGTH) throw new FilterError(`The filter is longer than ${MAX_LENGTH} characters.`);
  const tokens = tokenize(input);
  if (!tokens.length) throw new FilterError('The filter is empty.');
  let pos = 0;
  let terms = 0;
  const peekWord = () => {
    const t = tokens[pos];
    return t?.kind === 'word' ? t.text.toLowerCase() : undefined;
  };

  const parseOr = (depth: number): Filter => {
    let left = parseAnd(depth);
    while (peekWord() === 'or') {
      pos++;
      left = { op: 'or', left, right: parseAnd(depth) };
    }
    return left;
  };
  const parseAnd = (depth: number): Filter => {
    let left = parseFactor(depth);
    while (peekWord() === 'and') {
      pos++;
      left = { op: 'and', left, right: parseFactor(depth) };
    }
    return left;
  };
  const parseFactor = (depth: number): Filter => {
    if (depth > 10) throw new FilterError('The filter nests parentheses too deeply.');
    const t = tokens[pos];
    if (!t) throw new FilterError('The filter ends where a condition was expected.');
    if (t.kind === '(') {
      pos++;
      const inner = parseOr(depth + 1);
      if (tokens[pos]?.kind !== ')') throw new FilterError('The filter has a parenthesis without its closing one.');
      pos++;
      return inner;
    }
    if (t.kind !== 'word') throw new FilterError('The filter has a value where an attribute name was expected.');
    const attrText = t.text;
    if (t.text.toLowerCase() === 'not') throw new FilterError('The not operator is not supported in filters.');
    if (!/^[A-Za-z][\w$.:-]*$/.test(t.text)) throw new FilterError(`"${t.text.slice(0, 60)}" is not an attribute name.`);
    pos++;
    const opTok = tokens[pos];
    const op = opTok?.kind === 'word' ? opTok.text.toLowerCase() : undefined;
    if (!op) throw new FilterError(`The filter has no operator after ${t.text.slice(0, 60)}.`);
    if (UNSUPPORTED_OPS.has(op)) throw new FilterError(`The ${op} operator is not supported; filters may use eq, and, or.`);
    if (op !== 'eq') throw new FilterError(`"${op.slice(0, 20)}" is not a filter operator.`);
    pos++;
    const v = tokens[pos];
    if (!v || !('text' in v)) throw new FilterError(`The filter has no value after ${t.text.slice(0, 60)} eq.`);
    pos++;
    if (++terms > MAX_TERMS) throw new FilterError(`The filter has more than ${MAX_TERMS} conditions.`);
    return { op: 'eq', attr: normalizeAttr(attrText), value: v.kind === 'string' ? v.text : literal(v.text) };
  };

  const result = parseOr(0);
  if (pos < tokens.length) {
    const t = tokens[pos];
    throw new FilterError(`The filter has something unexpected after a complete condition${'text' in t ? `: ${t.text.slice(0, 40)}` : ''}.`);
  }
  return result;
}

function literal(text: string): FilterValue {
  const lower = text.toLowerCase();
  if (lower === 'true') return true;
  if (lower === 'false') return false;
  if (lower === 'null') return null;
  if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  throw new FilterError(`${text.slice(0, 40)} is not a value; put strings in double quotes.`);
}

/** Every attribute the filter names (to check them against what a resource supports). */
export function filterAttributes(f: Filter): string[] {
  return f.op === 'eq' ? [f.attr] : [...filterAttributes(f.left), ...filterAttributes(f.right)];
}
