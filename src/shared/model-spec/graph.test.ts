import { describe, expect, it } from 'vitest'
import { isSequentialSpec, MODEL_INPUT, specGraph, topologicalOrder } from './graph'
import { normalizeSpec } from './normalize'
import { validateSpec } from './validate'
import type { LayerSpec, ModelSpec } from './schema'

const spec = (layers: LayerSpec[]): ModelSpec => ({ format: 'model-workbench/spec', version: 2, name: 'g', input_shape: [4], layers })
const dense = (name: string, inbound?: string[]): LayerSpec => ({ class_name: 'Dense', config: { name, units: 4 }, ...(inbound ? { inbound } : {}) })

describe('the spec graph', () => {
  it('reads a plain list as a chain, with or without the implied inbound spelled out', () => {
    expect(isSequentialSpec(spec([dense('a'), dense('b')]))).toBe(true)
    expect(isSequentialSpec(spec([dense('a', [MODEL_INPUT]), dense('b', ['a'])]))).toBe(true)
    expect(isSequentialSpec(spec([{ class_name: 'InputLayer', config: { name: 'in', input_shape: [4] } }, dense('a', ['in']), dense('b')]))).toBe(true)
    expect(isSequentialSpec(spec([dense('a'), dense('b', [MODEL_INPUT]), { class_name: 'Add', config: { name: 's' }, inbound: ['a', 'b'] }]))).toBe(false)
  })

  it('orders the nodes topologically, stably, and finds the output', () => {
    const graph = specGraph(spec([dense('out', ['s']), { class_name: 'Add', config: { name: 's' }, inbound: ['a', 'b'] }, dense('a', [MODEL_INPUT]), dense('b', ['a'])]))
    expect(graph.nodes.map((n) => n.name)).toEqual(['a', 'b', 's', 'out'])
    expect(graph.output).toBe('out')
    expect(graph.sequential).toBe(false)
  })

  it('finds a cycle in edge order', () => {
    // 0 ← 2, 1 ← 0, 2 ← 1: 0 → 1 → 2 → 0
    expect(topologicalOrder([[2], [0], [1]])).toEqual({ order: [], cycle: [0, 1, 2] })
    expect(topologicalOrder([[], [0], [0, 1]]).order).toEqual([0, 1, 2])
  })

  it('normalizes a graph to topological order with every inbound spelled out, and a chain without any', () => {
    const graph = spec([dense('out', ['s']), { class_name: 'Add', config: { name: 's' }, inbound: ['a', 'b'] }, dense('a', [MODEL_INPUT]), dense('b', ['a'])])
    const normal = normalizeSpec(graph)
    expect(normal.layers.map((l) => [l.config.name, l.inbound])).toEqual([['a', ['input']], ['b', ['a']], ['s', ['a', 'b']], ['out', ['s']]])
    expect(validateSpec(normal).ok).toBe(true)
    expect(normalizeSpec(spec([dense('a', [MODEL_INPUT]), dense('b', ['a'])])).layers.every((l) => l.inbound === undefined)).toBe(true)
  })
})
