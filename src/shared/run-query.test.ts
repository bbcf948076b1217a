import { describe, expect, it } from 'vitest'
import { TypedError } from './errors'
import { canonicalParam, looksLikeQuery, matchesQuery, parseRunQuery, type QueryAttribute, type QueryTarget } from './run-query'

interface FakeRun {
  attributes: Partial<Record<QueryAttribute, string | number | string[]>>
  params: Record<string, string | number>
  final: Record<string, number>
  best: Record<string, number>
}

function target(run: FakeRun): QueryTarget {
  return {
    attribute: (name) => run.attributes[name] ?? null,
    param: (key) => run.params[key],
    metric: (name, which) => (which === 'best' ? run.best : run.final)[name]
  }
}

const runs: FakeRun[] = [
  { attributes: { name: 'S5 mnist rmsprop', status: 'finished', tags: ['baseline'] }, params: { 'optimizer.learning_rate': 0.001, 'optimizer.name': 'rmsprop', batch_size: 128, 'budget.epochs': 2 }, final: { val_acc: 0.95, val_loss: 0.2 }, best: { val_acc: 0.96, val_loss: 0.18 } },
  { attributes: { name: 'iris adam', status: 'finished', tags: [] }, params: { 'optimizer.learning_rate': 0.01, 'optimizer.name': 'adam', batch_size: 16, 'budget.epochs': 50 }, final: { val_acc: 0.85, val_loss: 0.4 }, best: { val_acc: 0.93, val_loss: 0.3 } },
  { attributes: { name: 'broken', status: 'failed', tags: ['oops'] }, params: { 'optimizer.learning_rate': 0.1, 'optimizer.name': 'sgd', batch_size: 32, 'budget.epochs': 5 }, final: {}, best: {} }
]

function names(query: string): string[] {
  const clauses = parseRunQuery(query)
  return runs.filter((run) => matchesQuery(target(run), clauses)).map((run) => String(run.attributes.name))
}

function refusal(query: string, params?: readonly string[]): TypedError {
  try {
    parseRunQuery(query, params ? { params } : {})
  } catch (error) {
    expect(error).toBeInstanceOf(TypedError)
    return error as TypedError
  }
  throw new Error(`"${query}" was accepted`)
}

describe('parseRunQuery: good queries', () => {
  it('filters on params and metrics together (MLflow style)', () => {
    expect(names('params.lr < 0.01 and metrics.val_acc > 0.9')).toEqual(['S5 mnist rmsprop'])
    expect(names('params.learning_rate <= 0.01')).toEqual(['S5 mnist rmsprop', 'iris adam'])
  })
  it('reads metrics.* as the final value and best.* as the best value over epochs', () => {
    expect(names('metrics.val_acc > 0.9')).toEqual(['S5 mnist rmsprop'])
    expect(names('best.val_acc > 0.9')).toEqual(['S5 mnist rmsprop', 'iris adam'])
    expect(names('best.val_loss < 0.25')).toEqual(['S5 mnist rmsprop'])
  })
  it('takes quoted and bare text, case-insensitively', () => {
    expect(names('params.optimizer = "adam"')).toEqual(['iris adam'])
    expect(names("params.optimizer == 'ADAM'")).toEqual(['iris adam'])
    expect(names('status = finished')).toEqual(['S5 mnist rmsprop', 'iris adam'])
    expect(names('status != finished')).toEqual(['broken'])
  })
  it('~ is "contains" and !~ "does not contain"; tags match any tag', () => {
    expect(names('name ~ "s5"')).toEqual(['S5 mnist rmsprop'])
    expect(names('name !~ s5 && status = finished')).toEqual(['iris adam'])
    expect(names('tags = baseline')).toEqual(['S5 mnist rmsprop'])
    expect(names('tag ~ oo')).toEqual(['broken'])
  })
  it('knows the common aliases, also bare', () => {
    expect(canonicalParam('lr')).toBe('optimizer.learning_rate')
    expect(canonicalParam('epochs')).toBe('budget.epochs')
    expect(names('params.epochs >= 5 and params.batch_size < 20')).toEqual(['iris adam'])
    expect(names('lr > 0.05')).toEqual(['broken'])
  })
  it('accepts Keras metric names and scientific numbers', () => {
    expect(names('metrics.val_accuracy > 0.9')).toEqual(['S5 mnist rmsprop'])
    expect(names('params.lr < 1e-2')).toEqual(['S5 mnist rmsprop'])
  })
  it('a run without the metric fails the clause (but passes !=)', () => {
    expect(names('metrics.val_loss > 0')).toEqual(['S5 mnist rmsprop', 'iris adam'])
    expect(names('metrics.val_loss != 0.2')).toEqual(['iris adam', 'broken'])
  })
  it('an empty query has no clauses', () => {
    expect(parseRunQuery('   ')).toEqual([])
  })
  it('tells a query from search words', () => {
    expect(looksLikeQuery('lr<0.01')).toBe(true)
    expect(looksLikeQuery('mnist baseline')).toBe(false)
  })
})

describe('parseRunQuery: bad queries say where and what was expected', () => {
  it('a missing operator', () => {
    const error = refusal('params.lr 0.01')
    expect(error.code).toBe('bad_input')
    expect(error.reason).toBe('query.expected')
    expect(error.details).toMatchObject({ position: 11, found: '"0.01"' })
    expect(String(error.details?.expected)).toContain('operator')
  })
  it('a missing value at the end', () => {
    expect(refusal('metrics.val_acc >').details).toMatchObject({ position: 18, found: 'end of query' })
  })
  it('two clauses without "and"', () => {
    const error = refusal('status = finished name ~ x')
    expect(error.reason).toBe('query.expected')
    expect(error.details).toMatchObject({ position: 19, expected: '"and" or the end of the query' })
  })
  it('or is refused with the advice to use and', () => {
    expect(refusal('lr < 0.1 or lr > 1').reason).toBe('query.or_unsupported')
  })
  it('an unknown field names the fields there are', () => {
    const error = refusal('speed > 3')
    expect(error.reason).toBe('query.unknown_field')
    expect(error.details).toMatchObject({ position: 1, field: 'speed' })
    expect(String(error.details?.known)).toContain('params.<name>')
  })
  it('an unknown parameter when the runs have a known set', () => {
    const error = refusal('params.momentum > 0.5', ['optimizer.learning_rate', 'optimizer.name', 'batch_size'])
    expect(error.reason).toBe('query.unknown_param')
    expect(error.details).toMatchObject({ position: 1, name: 'momentum' })
    expect(parseRunQuery('params.lr > 0.5', { params: ['optimizer.learning_rate'] })).toHaveLength(1)
  })
  it('text where a number belongs, and orderings on text', () => {
    expect(refusal('metrics.val_acc > high').reason).toBe('query.bad_value')
    expect(refusal('params.lr < fast').reason).toBe('query.bad_value')
    expect(refusal('name < b').reason).toBe('query.bad_operator')
    expect(refusal('metrics.loss ~ 1').reason).toBe('query.bad_operator')
  })
  it('an unknown status lists the statuses', () => {
    const error = refusal('status = done')
    expect(error.reason).toBe('query.bad_value')
    expect(String(error.details?.expected)).toContain('finished')
  })
  it('an unclosed string and a stray character', () => {
    expect(refusal('name = "abc').details).toMatchObject({ position: 8 })
    expect(refusal('name = "abc').reason).toBe('query.unclosed_string')
    expect(refusal('lr < 0.1 and @').details).toMatchObject({ position: 14 })
  })
})
