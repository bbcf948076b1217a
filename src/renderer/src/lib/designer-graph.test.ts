import { describe, expect, it } from 'vitest'
import type { ModelSpec } from '../../../shared/model-spec'
import { MODEL_INPUT, canonicalizeSpec, connectLayers, connectRefusal, copyLayers, designGraph, insertLayerAfter, pasteLayerCopies, removeLayersByName } from './designer-graph'

function spec(layers: ModelSpec['layers'], version: 1 | 2 = 1): ModelSpec {
  return { format: 'model-workbench/spec', version, name: 'm', input_shape: [8], layers }
}
const dense = (name?: string, inbound?: string[]) => ({ class_name: 'Dense', config: { ...(name ? { name } : {}), units: 4 }, ...(inbound ? { inbound } : {}) })

describe('designGraph', () => {
  it('reads a chain, a graph and a leading InputLayer (which is the input node, not a layer node)', () => {
    expect(designGraph(spec([dense('a'), dense('b')])).edges).toEqual([{ from: MODEL_INPUT, to: 'a' }, { from: 'a', to: 'b' }])
    const withInput = designGraph(spec([{ class_name: 'InputLayer', config: { name: 'in', batch_shape: [null, 8] } }, dense('a'), dense('b', ['in'])]))
    expect(withInput.nodes.map((n) => n.name)).toEqual(['a', 'b'])
    expect(withInput.edges).toEqual([{ from: MODEL_INPUT, to: 'a' }, { from: MODEL_INPUT, to: 'b' }])
    expect(withInput.output).toBe('b')
    expect(withInput.sequential).toBe(false)
  })
})

describe('canonicalizeSpec', () => {
  it('sorts a graph topologically (stable) and writes every inbound; a chain loses them and its generated names stay generated', () => {
    const graph = spec([dense('late', ['early']), dense('early', [MODEL_INPUT]), dense('side', [MODEL_INPUT])])
    canonicalizeSpec(graph)
    expect(graph.layers.map((l) => l.config.name)).toEqual(['early', 'late', 'side'])
    expect(graph.version).toBe(2)
    const chain = spec([dense(undefined, [MODEL_INPUT]), dense(undefined, ['dense_1'])])
    canonicalizeSpec(chain)
    expect(chain).toEqual(spec([dense(), dense()]))
  })

  it('keeps layers caught in a cycle (an imported file) at the end instead of dropping them', () => {
    const looped = spec([dense('a', ['b']), dense('b', ['a']), dense('c', [MODEL_INPUT])])
    canonicalizeSpec(looped)
    expect(looped.layers.map((l) => l.config.name)).toEqual(['c', 'a', 'b'])
  })
})

describe('graph edits', () => {
  it('connects from a leading InputLayer by its own name, written as the model input', () => {
    const s = spec([{ class_name: 'InputLayer', config: { name: 'in', batch_shape: [null, 8] } }, dense('a'), dense('b'), { class_name: 'Add', config: { name: 'add' } }])
    expect(connectRefusal(s, 'add', 'in')).toBe('to_input')
    expect(connectLayers(s, 'in', 'add')).toBe(true)
    expect(s.layers.map((l) => l.inbound)).toEqual([undefined, [MODEL_INPUT], ['a'], ['b', MODEL_INPUT]])
  })

  it('inserts after the input: the layers the input fed take the new one', () => {
    const s = spec([dense('a'), dense('b', [MODEL_INPUT]), { class_name: 'Add', config: { name: 'add' }, inbound: ['a', 'b'] }], 2)
    insertLayerAfter(s, MODEL_INPUT, dense('n'))
    expect(s.layers.map((l) => [l.config.name, l.inbound])).toEqual([['n', [MODEL_INPUT]], ['a', ['n']], ['b', ['n']], ['add', ['a', 'b']]])
    expect(insertLayerAfter(s, 'ghost', dense('x'))).toBe(false)
  })

  it('removes a chain of layers at once, passing the input along it', () => {
    const s = spec([dense('a'), dense('b'), dense('c'), dense('d', ['c', 'a'])].map((l, i) => (i === 3 ? { ...l, class_name: 'Add' } : l)))
    expect(removeLayersByName(s, ['b', 'c', 'ghost'])).toEqual(['b', 'c'])
    expect(s.layers.map((l) => [l.config.name, l.inbound])).toEqual([['a', undefined], ['d', undefined]])
  })

  it('pastes a copied branch with its internal merge edges renamed and outside inputs dropped', () => {
    const s = spec([dense('a'), dense('b', ['a']), { class_name: 'Add', config: { name: 'add' }, inbound: ['a', 'b'] }], 2)
    const copied = copyLayers(s, ['b', 'add'])
    const renamed = pasteLayerCopies(s, copied)
    expect([...renamed]).toEqual([['b', 'dense_1'], ['add', 'add_1']])
    expect(s.layers.find((l) => l.config.name === 'add_1')?.inbound).toEqual(['dense_1'])
    expect(s.layers.find((l) => l.config.name === 'dense_1')?.inbound).toEqual([])
  })
})
