// The Runs filter language, MLflow-style:
//
//   params.lr < 0.01 and metrics.val_acc > 0.9
//   params.optimizer = "adam" and status = finished
//   name ~ "s5" and best.val_loss <= 0.2
//
// A query is clauses joined by `and` (or `&&`); each clause is `field operator value`.
// Fields: `params.<key>` (training settings, with aliases: lr, optimizer, batch_size, epochs,
// steps…), `metrics.<name>` (the final value, as MLflow), `best.<name>` (the best value over the
// epochs, min or max by the metric's direction, see metric-best.ts), and the run's attributes
// (name, status, model, dataset, backend, id, tags, notes; also as `attributes.<name>`).
// Operators: = (or ==), !=, <, <=, >, >=, ~ (contains, case-insensitive), !~ (does not contain).
// Values: numbers, "quoted" or 'quoted' text, or a bare word (finished, adam).
// A malformed query throws a TypedError with a reason (query.*) and details that say where
// (1-based position) and what was expected.
import { TypedError, type ErrorDetails } from './errors'
import { RUN_STATUSES } from './run'
import { canonicalMetricName } from './training'

export type QueryOperator = '=' | '!=' | '<' | '<=' | '>' | '>=' | '~' | '!~'
export type QueryValue = string | number
export type QueryFieldKind = 'attribute' | 'param' | 'metric' | 'best'

export interface QueryClause {
  kind: QueryFieldKind
  /** Attribute name, canonical parameter key (`optimizer.learning_rate`) or canonical metric name (`val_acc`). */
  key: string
  /** The field as written, for messages. */
  field: string
  op: QueryOperator
  value: QueryValue
  /** 1-based position of the clause in the query. */
  position: number
}

export const QUERY_ATTRIBUTES = ['name', 'status', 'model', 'dataset', 'backend', 'id', 'tags', 'notes'] as const
export type QueryAttribute = (typeof QUERY_ATTRIBUTES)[number]

/** Short names for the parameters people filter on most. */
export const PARAM_ALIASES: Readonly<Record<string, string>> = {
  lr: 'optimizer.learning_rate',
  learning_rate: 'optimizer.learning_rate',
  optimizer: 'optimizer.name',
  epochs: 'budget.epochs',
  steps: 'budget.steps',
  batch: 'batch_size',
  batch_size: 'batch_size'
}

/** The canonical key of a parameter written in a query: `lr` → `optimizer.learning_rate`. */
export function canonicalParam(key: string): string {
  return PARAM_ALIASES[key] ?? key
}

/** What a query is evaluated against: one run's values. Undefined or null: the run has no such value (the clause is false). */
export interface QueryTarget {
  attribute(name: QueryAttribute): string | number | readonly string[] | null
  param(key: string): string | number | boolean | null | undefined
  metric(name: string, which: 'final' | 'best'): number | null | undefined
}

export interface ParseOptions {
  /** Canonical parameter keys the runs have; a query naming another parameter is refused with this list. Omitted: any key. */
  params?: readonly string[]
}

/** The reasons a query is refused with (templates: `errors.reason.<reason>` in the Runs messages). */
export type QueryErrorReason = 'query.expected' | 'query.unclosed_string' | 'query.unknown_field' | 'query.unknown_param' | 'query.bad_value' | 'query.bad_operator' | 'query.or_unsupported'

function queryError(reason: QueryErrorReason, message: string, details: ErrorDetails): TypedError {
  return new TypedError('bad_input', message, { reason, details })
}

type TokenKind = 'word' | 'number' | 'string' | 'op' | 'and' | 'or' | 'end'
interface Token {
  kind: TokenKind
  text: string
  value?: string | number
  /** 0-based offset in the query. */
  at: number
}

const OPERATORS: readonly string[] = ['==', '!=', '<>', '<=', '>=', '!~', '=', '<', '>', '~']
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?/i
const WORD = /^[A-Za-z0-9_][\w./-]*/

function describeToken(token: Token): string {
  return token.kind === 'end' ? 'end of query' : `"${token.text}"`
}

function tokenize(query: string): Token[] {
  const tokens: Token[] = []
  let i = 0
  while (i < query.length) {
    const ch = query[i]
    if (/\s/.test(ch)) {
      i++
      continue
    }
    const rest = query.slice(i)
    if (ch === '"' || ch === "'") {
      let j = i + 1
      let text = ''
      while (j < query.length && query[j] !== ch) {
        if (query[j] === '\\' && j + 1 < query.length) j++
        text += query[j]
        j++
      }
      if (j >= query.length) throw queryError('query.unclosed_string', `Query: the text starting at position ${i + 1} has no closing ${ch}. Close it with ${ch}.`, { position: i + 1, quote: ch })
      tokens.push({ kind: 'string', text: query.slice(i, j + 1), value: text, at: i })
      i = j + 1
      continue
    }
    if (rest.startsWith('&&')) {
      tokens.push({ kind: 'and', text: '&&', at: i })
      i += 2
      continue
    }
    if (rest.startsWith('||')) {
      tokens.push({ kind: 'or', text: '||', at: i })
      i += 2
      continue
    }
    const op = OPERATORS.find((o) => rest.startsWith(o))
    if (op) {
      tokens.push({ kind: 'op', text: op, at: i })
      i += op.length
      continue
    }
    const number = NUMBER.exec(rest)
    // A number directly followed by a letter is a word (1e-3 is a number; 3rd is not).
    if (number && !/^[A-Za-z_]/.test(rest.slice(number[0].length))) {
      tokens.push({ kind: 'number', text: number[0], value: Number(number[0]), at: i })
      i += number[0].length
      continue
    }
    const word = WORD.exec(rest)
    if (word) {
      const lower = word[0].toLowerCase()
      tokens.push({ kind: lower === 'and' ? 'and' : lower === 'or' ? 'or' : 'word', text: word[0], value: word[0], at: i })
      i += word[0].length
      continue
    }
    throw queryError('query.expected', `Query: unexpected "${ch}" at position ${i + 1}; expected a field, an operator or a value.`, { position: i + 1, expected: 'a field, an operator or a value', found: `"${ch}"` })
  }
  tokens.push({ kind: 'end', text: '', at: query.length })
  return tokens
}

function expected(token: Token, what: string): never {
  throw queryError('query.expected', `Query: expected ${what} at position ${token.at + 1}, found ${describeToken(token)}.`, { position: token.at + 1, expected: what, found: describeToken(token) })
}

const STRING_ATTRIBUTES: ReadonlySet<string> = new Set(QUERY_ATTRIBUTES)

function resolveField(token: Token, options: ParseOptions): { kind: QueryFieldKind; key: string } {
  const text = token.text
  const dot = text.indexOf('.')
  const head = (dot < 0 ? text : text.slice(0, dot)).toLowerCase()
  const tail = dot < 0 ? '' : text.slice(dot + 1)
  const position = token.at + 1
  if (dot >= 0 && (head === 'params' || head === 'param' || head === 'p')) {
    if (!tail) expected({ ...token, at: token.at + dot + 1, kind: 'end' }, 'a parameter name after "params."')
    const key = canonicalParam(tail)
    if (options.params && !options.params.includes(key)) {
      const known = [...new Set([...Object.keys(PARAM_ALIASES), ...options.params])].join(', ')
      throw queryError('query.unknown_param', `Query: no run has the parameter "${tail}" (position ${position}). Parameters: ${known}.`, { position, name: tail, known })
    }
    return { kind: 'param', key }
  }
  if (dot >= 0 && (head === 'metrics' || head === 'metric' || head === 'm' || head === 'best')) {
    if (!tail) expected({ ...token, at: token.at + dot + 1, kind: 'end' }, `a metric name after "${head}."`)
    return { kind: head === 'best' ? 'best' : 'metric', key: canonicalMetricName(tail) }
  }
  const attribute = (dot >= 0 && (head === 'attributes' || head === 'attribute' || head === 'attr') ? tail : text).toLowerCase()
  const alias: Record<string, QueryAttribute> = { tag: 'tags', run_name: 'name', run_id: 'id', data: 'dataset', dataset_name: 'dataset', model_name: 'model' }
  const name = alias[attribute] ?? attribute
  if (STRING_ATTRIBUTES.has(name)) return { kind: 'attribute', key: name }
  // A bare parameter alias (lr < 0.01) reads as the parameter.
  if (dot < 0 && PARAM_ALIASES[text]) return { kind: 'param', key: PARAM_ALIASES[text] }
  const known = `params.<name>, metrics.<name>, best.<name>, ${QUERY_ATTRIBUTES.join(', ')}`
  throw queryError('query.unknown_field', `Query: "${text}" at position ${position} is not a field. Fields: ${known}.`, { position, field: text, known })
}

/** Parses a query; throws a TypedError (reason query.*) with the position and what was expected. An empty query has no clauses. */
export function parseRunQuery(query: string, options: ParseOptions = {}): QueryClause[] {
  const tokens = tokenize(query)
  const clauses: QueryClause[] = []
  let i = 0
  if (tokens[0].kind === 'end') return clauses
  for (;;) {
    const fieldToken = tokens[i]
    if (fieldToken.kind !== 'word') expected(fieldToken, 'a field (params.<name>, metrics.<name>, best.<name>, name, status…)')
    const { kind, key } = resolveField(fieldToken, options)
    const opToken = tokens[i + 1]
    if (opToken.kind !== 'op') expected(opToken, 'an operator (=, !=, <, <=, >, >=, ~, !~)')
    const op = (opToken.text === '==' ? '=' : opToken.text === '<>' ? '!=' : opToken.text) as QueryOperator
    const valueToken = tokens[i + 2]
    if (valueToken.kind !== 'number' && valueToken.kind !== 'string' && valueToken.kind !== 'word') expected(valueToken, 'a value (a number, "text" or a word)')
    let value: QueryValue = valueToken.value!
    const position = fieldToken.at + 1
    const ordering = op === '<' || op === '<=' || op === '>' || op === '>='
    const textual = op === '~' || op === '!~'
    if (kind === 'metric' || kind === 'best') {
      if (typeof value !== 'number') throw queryError('query.bad_value', `Query: ${fieldToken.text} (position ${position}) is a number; ${valueToken.text} is not.`, { position, field: fieldToken.text, got: valueToken.text, expected: 'a number' })
      if (textual) throw queryError('query.bad_operator', `Query: ${fieldToken.text} (position ${position}) is a number: use =, !=, <, <=, > or >=, not ${op}.`, { position, field: fieldToken.text, operator: op, allowed: '= != < <= > >=' })
    }
    if (kind === 'attribute') {
      if (ordering) throw queryError('query.bad_operator', `Query: ${fieldToken.text} (position ${position}) is text: use =, !=, ~ or !~, not ${op}.`, { position, field: fieldToken.text, operator: op, allowed: '= != ~ !~' })
      value = String(valueToken.kind === 'number' ? valueToken.text : value)
      if (key === 'status' && !textual && !(RUN_STATUSES as readonly string[]).includes(value.toLowerCase())) {
        throw queryError('query.bad_value', `Query: "${value}" (position ${valueToken.at + 1}) is not a run status. Statuses: ${RUN_STATUSES.join(', ')}.`, { position: valueToken.at + 1, field: 'status', got: value, expected: RUN_STATUSES.join(', ') })
      }
    }
    if (kind === 'param' && ordering && typeof value !== 'number') {
      throw queryError('query.bad_value', `Query: ${op} needs a number after ${fieldToken.text} (position ${valueToken.at + 1}), not ${valueToken.text}.`, { position: valueToken.at + 1, field: fieldToken.text, got: valueToken.text, expected: 'a number' })
    }
    clauses.push({ kind, key, field: fieldToken.text, op, value, position })
    const next = tokens[i + 3]
    if (next.kind === 'end') return clauses
    if (next.kind === 'or') throw queryError('query.or_unsupported', `Query: "${next.text}" at position ${next.at + 1}: clauses combine with "and" only (as in MLflow). Run one query per alternative.`, { position: next.at + 1, found: next.text })
    if (next.kind !== 'and') expected(next, '"and" or the end of the query')
    i += 4
  }
}

function compareNumbers(a: number, op: QueryOperator, b: number): boolean {
  switch (op) {
    case '=': return a === b
    case '!=': return a !== b
    case '<': return a < b
    case '<=': return a <= b
    case '>': return a > b
    case '>=': return a >= b
    default: return false
  }
}

function compareText(a: string, op: QueryOperator, b: string): boolean {
  const x = a.toLowerCase()
  const y = b.toLowerCase()
  switch (op) {
    case '=': return x === y
    case '!=': return x !== y
    case '~': return x.includes(y)
    case '!~': return !x.includes(y)
    default: return false
  }
}

function matchesValue(actual: string | number | boolean, op: QueryOperator, wanted: QueryValue): boolean {
  if (typeof wanted === 'number') {
    const number = typeof actual === 'number' ? actual : typeof actual === 'string' && actual.trim() !== '' ? Number(actual) : Number.NaN
    if (Number.isNaN(number)) return op === '!=' // a value that is not a number differs from every number
    return compareNumbers(number, op, wanted)
  }
  return compareText(String(actual), op, wanted)
}

/** Whether one run passes one clause. A run without the field passes only `!=` and `!~`. */
export function matchesClause(target: QueryTarget, clause: QueryClause): boolean {
  const negative = clause.op === '!=' || clause.op === '!~'
  if (clause.kind === 'attribute') {
    const actual = target.attribute(clause.key as QueryAttribute)
    if (actual === null) return negative
    if (Array.isArray(actual)) {
      const list = actual as readonly string[]
      return negative ? list.every((item) => matchesValue(item, clause.op, clause.value)) : list.some((item) => matchesValue(item, clause.op, clause.value))
    }
    return matchesValue(actual as string | number, clause.op, clause.value)
  }
  const actual = clause.kind === 'param' ? target.param(clause.key) : target.metric(clause.key, clause.kind === 'best' ? 'best' : 'final')
  if (actual === null || actual === undefined) return negative
  return matchesValue(actual, clause.op, clause.value)
}

/** Whether one run passes every clause. */
export function matchesQuery(target: QueryTarget, clauses: readonly QueryClause[]): boolean {
  return clauses.every((clause) => matchesClause(target, clause))
}

/** Whether text looks like a query rather than search words: it has an operator. */
export function looksLikeQuery(text: string): boolean {
  return /(==|!=|<>|<=|>=|!~|[=<>~])/.test(text)
}
