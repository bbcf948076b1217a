import { describe, expect, it } from 'vitest'
import { architectureDiff, architectureDiffLines, assignRunColors, diffRuns, emaSmooth, flattenForDiff, flattenRun, formatDiffValue, lastAndBest, lttb, metricGoal, minMaxDownsample } from './compare'
import { trainingConfigSchema } from './training'
import type { LayerSpec, ModelSpec } from './model-spec'

function spec(units: number[], inputShape = [784]): ModelSpec {
  return {
    format: 'model-workbench/spec',
    version: 1,
    name: 'mlp',
    input_shape: inputShape,
    layers: units.map((u, i) => ({ class_name: 'Dense', config: { name: `dense_${i}`, units: u, activation: 'relu' } }))
  }
}

describe('flattenForDiff', () => {
  it('flattens nested objects to dotted keys and keeps scalar arrays as one value', () => {
    expect(flattenForDiff({ a: { b: 1, c: [2, 3] }, d: null, e: 'x' })).toEqual({ 'a.b': 1, 'a.c': '[2, 3]', d: null, e: 'x' })
  })
  it('indexes arrays of objects', () => {
    expect(flattenForDiff({ l: [{ u: 1 }, { u: 2 }] })).toEqual({ 'l[0].u': 1, 'l[1].u': 2 })
  })
})

describe('flattenRun', () => {
  it('lists input shape, layer classes and layer config, leaving out generated layer names', () => {
    const config = trainingConfigSchema.parse({ loss: 'categorical_crossentropy' })
    const flat = flattenRun({ spec: spec([512, 10]), config })
    expect(flat.architecture).toMatchObject({ input_shape: '[784]', layer_count: 2, 'layers[0].class_name': 'Dense', 'layers[0].units': 512, 'layers[1].units': 10 })
    expect(Object.keys(flat.architecture).some((k) => k.endsWith('.name'))).toBe(false)
    expect(flat.training['optimizer.name']).toBe('adam')
    expect(flat.training['budget.epochs']).toBe(10)
  })
})

describe('diffRuns', () => {
  const base = trainingConfigSchema.parse({ loss: 'categorical_crossentropy' })
  const sgd = trainingConfigSchema.parse({ loss: 'categorical_crossentropy', optimizer: { name: 'sgd', learning_rate: 0.1 } })

  it('marks exactly the keys whose values differ', () => {
    const rows = diffRuns([{ spec: spec([512, 10]), config: base }, { spec: spec([256, 10]), config: base }])
    const differing = rows.filter((r) => r.differs).map((r) => r.key)
    expect(differing).toEqual(['layers[0].units'])
    const units = rows.find((r) => r.key === 'layers[0].units')
    expect(units?.values).toEqual([512, 256])
    expect(units?.section).toBe('architecture')
  })

  it('treats a key missing from one run as a difference and fills null', () => {
    const rows = diffRuns([{ spec: spec([512, 10]), config: base }, { spec: spec([512, 10]), config: sgd }, { spec: spec([512, 64, 10]), config: base }])
    const beta = rows.find((r) => r.key === 'optimizer.beta_1')
    expect(beta?.values).toEqual([0.9, null, 0.9])
    expect(beta?.differs).toBe(true)
    const momentum = rows.find((r) => r.key === 'optimizer.momentum')
    expect(momentum?.values).toEqual([null, 0, null])
    const third = rows.find((r) => r.key === 'layers[2].units')
    expect(third?.values).toEqual([null, null, 10])
    expect(rows.find((r) => r.key === 'loss')?.differs).toBe(false)
  })

  it('orders architecture rows by layer with class_name first', () => {
    const rows = diffRuns([{ spec: spec([4, 2]), config: base }]).filter((r) => r.section === 'architecture').map((r) => r.key)
    expect(rows.slice(0, 2)).toEqual(['input_shape', 'layer_count'])
    expect(rows.indexOf('layers[0].class_name')).toBeLessThan(rows.indexOf('layers[0].units'))
    expect(rows.indexOf('layers[0].activation')).toBeLessThan(rows.indexOf('layers[1].class_name'))
  })

  it('returns no differences for a single run', () => {
    expect(diffRuns([{ spec: spec([3]), config: base }]).every((r) => !r.differs)).toBe(true)
  })
})

describe('formatDiffValue', () => {
  it('prints null as a dash and small numbers in exponent form', () => {
    expect(formatDiffValue(null)).toBe('—')
    expect(formatDiffValue(1e-7)).toBe('1.000e-7')
    expect(formatDiffValue(0.001)).toBe('0.001')
    expect(formatDiffValue(true)).toBe('true')
  })
})

describe('emaSmooth', () => {
  it('returns the input for weight 0', () => {
    expect(emaSmooth([1, 5, 3], 0)).toEqual([1, 5, 3])
  })
  it('is debiased: the first point equals the first value and a constant stays constant', () => {
    const out = emaSmooth([2, 2, 2, 2], 0.9)
    out.forEach((v) => expect(v).toBeCloseTo(2, 12))
  })
  it('matches the TensorBoard formula', () => {
    const w = 0.6
    const values = [1, 0, 1]
    const out = emaSmooth(values, w)
    let last = 0
    const expected = values.map((v, i) => {
      last = last * w + (1 - w) * v
      return last / (1 - Math.pow(w, i + 1))
    })
    out.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 12))
    expect(out[1]).toBeGreaterThan(0)
    expect(out[1]).toBeLessThan(1)
  })
  it('passes NaN through without poisoning later points', () => {
    const out = emaSmooth([1, Number.NaN, 1], 0.5)
    expect(Number.isNaN(out[1])).toBe(true)
    expect(out[2]).toBeCloseTo(1, 12)
  })
  it('refuses a weight of 1 or more', () => {
    expect(() => emaSmooth([1], 1)).toThrow(/\[0, 1\)/)
  })
})

describe('lttb', () => {
  const n = 10_000
  const x = Array.from({ length: n }, (_, i) => i)
  const y = x.map((i) => Math.sin(i / 500) + (i === 4321 ? 10 : 0))

  it('returns threshold points, keeps both ends, and keeps a spike', () => {
    const out = lttb(x, y, 500)
    expect(out.x.length).toBe(500)
    expect(out.x[0]).toBe(0)
    expect(out.x[499]).toBe(n - 1)
    expect(out.x).toContain(4321)
    for (let i = 1; i < out.x.length; i++) expect(out.x[i]).toBeGreaterThan(out.x[i - 1])
  })
  it('returns a copy when the series fits', () => {
    const out = lttb([1, 2], [3, 4], 10)
    expect(out).toEqual({ x: [1, 2], y: [3, 4] })
  })
  it('refuses mismatched lengths', () => {
    expect(() => lttb([1], [], 10)).toThrow(/differ in length/)
  })
})

describe('minMaxDownsample', () => {
  it('keeps each bucket minimum and maximum in x order', () => {
    const y = [5, 1, 9, 3, 4, 0, 8, 2]
    const x = y.map((_, i) => i)
    const out = minMaxDownsample(x, y, 2)
    expect(out.x).toEqual([1, 2, 5, 6])
    expect(out.y).toEqual([1, 9, 0, 8])
  })
  it('keeps the global extremes of a long series', () => {
    const y = Array.from({ length: 50_000 }, (_, i) => Math.cos(i) * (i === 30_000 ? 100 : 1))
    const out = minMaxDownsample(y.map((_, i) => i), y, 1000)
    expect(out.x.length).toBeLessThanOrEqual(2000)
    expect(Math.max(...out.y)).toBe(Math.max(...y))
    expect(Math.min(...out.y)).toBe(Math.min(...y))
  })
})

describe('metricGoal and lastAndBest', () => {
  it('minimises losses and errors and maximises the rest', () => {
    expect(metricGoal('val_loss')).toBe('min')
    expect(metricGoal('mae')).toBe('min')
    expect(metricGoal('val_acc')).toBe('max')
    expect(metricGoal('auc')).toBe('max')
  })
  it('finds last and best, skipping non-finite values', () => {
    expect(lastAndBest('val_loss', [0.9, 0.4, 0.5, Number.NaN])).toEqual({ last: 0.5, best: 0.4, bestIndex: 1 })
    expect(lastAndBest('val_acc', [0.5, 0.8, 0.7])).toEqual({ last: 0.7, best: 0.8, bestIndex: 1 })
    expect(lastAndBest('acc', [])).toEqual({ last: null, best: null, bestIndex: null })
  })
})

describe('diffRuns resolves defaults before comparing', () => {
  const config = trainingConfigSchema.parse({ loss: 'categorical_crossentropy' })
  it('a layer field left out equals the same field given as its default', () => {
    const implicit = spec([16, 10])
    const explicit = spec([16, 10])
    explicit.layers[0].config.kernel_initializer = 'glorot_uniform'
    explicit.layers[0].config.use_bias = true
    const rows = diffRuns([{ spec: implicit, config }, { spec: explicit, config }])
    expect(rows.filter((r) => r.differs)).toEqual([])
    // The default is shown in both columns, never "—" beside glorot_uniform.
    expect(rows.find((r) => r.key === 'layers[0].kernel_initializer')?.values).toEqual(['glorot_uniform', 'glorot_uniform'])
  })
  it('a non-default value still differs', () => {
    const other = spec([16, 10])
    other.layers[0].config.kernel_initializer = 'he_normal'
    const row = diffRuns([{ spec: spec([16, 10]), config }, { spec: other, config }]).find((r) => r.key === 'layers[0].kernel_initializer')
    expect(row?.differs).toBe(true)
  })
  it('a training key missing from an older run reads as its default', () => {
    const { seed: _seed, ...older } = config as unknown as Record<string, unknown>
    const rows = diffRuns([{ spec: spec([4]), config }, { spec: spec([4]), config: older as unknown as typeof config }])
    expect(rows.filter((r) => r.differs).map((r) => r.key)).toEqual([])
  })
  it('no differing row reads "—" in every column', () => {
    const withStop = trainingConfigSchema.parse({ loss: 'categorical_crossentropy', early_stopping: { patience: 3 } })
    const rows = diffRuns([{ spec: spec([4]), config }, { spec: spec([4]), config: withStop }])
    const differing = rows.filter((r) => r.differs)
    expect(differing.length).toBeGreaterThan(0)
    for (const row of differing) expect(row.values.map(formatDiffValue).every((v) => v === '—'), row.key).toBe(false)
  })
})

describe('assignRunColors', () => {
  it('keeps every run its colour when another run is removed', () => {
    const first = assignRunColors(['a', 'b', 'c'], {})
    expect(first).toEqual({ a: 0, b: 1, c: 2 })
    const afterRemove = assignRunColors(['a', 'c'], first)
    expect(afterRemove).toEqual({ a: 0, c: 2 })
  })
  it('gives a new run the lowest free slot and never two runs one slot', () => {
    const colors = assignRunColors(['a', 'c', 'd', 'e'], { a: 0, c: 2 })
    expect(colors).toEqual({ a: 0, c: 2, d: 1, e: 3 })
    expect(assignRunColors(['x', 'y'], { x: 4, y: 4 })).toEqual({ x: 4, y: 0 })
  })
})

describe('architectureDiff', () => {
  const dense = (name: string, units: number, inbound?: string[], extra: Record<string, unknown> = {}): LayerSpec => ({ class_name: 'Dense', config: { name, units, activation: 'relu', ...extra }, ...(inbound ? { inbound } : {}) })
  const graph = (layers: LayerSpec[], inputShape = [30]): ModelSpec => ({ format: 'model-workbench/spec', version: 2, name: 'g', input_shape: inputShape, layers })
  const chain = graph([dense('d1', 16), dense('d2', 16), dense('out', 1, undefined, { activation: 'sigmoid' })])
  const residual = graph([
    dense('d1', 16), dense('d2', 32),
    { class_name: 'Dense', config: { name: 'proj', units: 32, activation: 'linear' }, inbound: ['d1'] },
    { class_name: 'Add', config: { name: 'skip' }, inbound: ['proj', 'd2'] },
    dense('out', 1, ['skip'], { activation: 'sigmoid' })
  ])
  const statusOf = (diff: ReturnType<typeof architectureDiff>): Record<string, string> => Object.fromEntries(diff.nodes.map((n) => [n.name, n.status]))
  const edgesOf = (diff: ReturnType<typeof architectureDiff>, status: string): string[] => diff.edges.filter((e) => e.status === status).map((e) => `${e.from}→${e.to}`).sort()

  it('a chain against itself (listed with and without explicit inbound) is the same', () => {
    const explicit = graph([dense('d1', 16, ['input']), dense('d2', 16, ['d1']), dense('out', 1, ['d2'], { activation: 'sigmoid' })])
    const diff = architectureDiff(chain, explicit)
    expect(diff.same).toBe(true)
    expect(diff.nodes.map((n) => [n.name, n.status, n.depth])).toEqual([['input', 'same', 0], ['d1', 'same', 1], ['d2', 'same', 2], ['out', 'same', 3]])
    expect(edgesOf(diff, 'same')).toEqual(['d1→d2', 'd2→out', 'input→d1'])
  })

  it('a chain grown into a residual block: added nodes and edges, removed edge, changed units with old → new', () => {
    const diff = architectureDiff(chain, residual)
    expect(statusOf(diff)).toEqual({ input: 'same', d1: 'same', d2: 'changed', proj: 'added', skip: 'added', out: 'same' })
    expect(diff.nodes.find((n) => n.name === 'd2')!.changes).toEqual([{ field: 'units', old: 16, new: 32 }])
    expect(edgesOf(diff, 'added')).toEqual(['d1→proj', 'd2→skip', 'proj→skip', 'skip→out'])
    expect(edgesOf(diff, 'removed')).toEqual(['d2→out'])
    expect(diff.counts).toEqual({ added: 2, removed: 0, changed: 1, edges_added: 4, edges_removed: 1 })
    expect(diff.same).toBe(false)
    // Depth in the newer graph: the Add sits after its deepest input.
    expect(diff.nodes.find((n) => n.name === 'skip')!.depth).toBe(3)
    // And back: the same nodes removed, the same edges the other way round.
    const back = architectureDiff(residual, chain)
    expect(statusOf(back)).toMatchObject({ proj: 'removed', skip: 'removed', d2: 'changed' })
    expect(back.nodes.slice(-2).map((n) => n.name)).toEqual(['proj', 'skip'])
    expect(edgesOf(back, 'added')).toEqual(['d2→out'])
    expect(edgesOf(back, 'removed')).toEqual(['d1→proj', 'd2→skip', 'proj→skip', 'skip→out'])
    expect(architectureDiffLines(diff)).toEqual([
      'added layers: proj (Dense), skip (Add)',
      'changed d2 (Dense): units 16 → 32',
      'added connections: d1 → proj, proj → skip, d2 → skip, skip → out',
      'removed connections: d2 → out'
    ])
    expect(architectureDiffLines(architectureDiff(chain, chain))).toEqual([])
  })

  it('resolves defaults, reports class changes, nested config fields, input shape and a swapped Subtract', () => {
    const before = graph([dense('a', 4, ['input']), dense('b', 4, ['input']), { class_name: 'Subtract', config: { name: 'm' }, inbound: ['a', 'b'] }])
    const after = graph([
      dense('a', 4, ['input'], { kernel_initializer: 'glorot_uniform', bias_initializer: { class_name: 'Constant', config: { value: 0.1 } } }),
      { class_name: 'Dropout', config: { name: 'b', rate: 0.5 }, inbound: ['input'] },
      { class_name: 'Subtract', config: { name: 'm' }, inbound: ['b', 'a'] }
    ], [12])
    const diff = architectureDiff(before, after)
    const byName = new Map(diff.nodes.map((n) => [n.name, n]))
    // kernel_initializer given as its default is no change; the bias initializer is.
    expect(byName.get('a')!.changes.map((c) => c.field)).toEqual(expect.arrayContaining(['bias_initializer.class_name']))
    expect(byName.get('a')!.changes.some((c) => c.field.startsWith('kernel_initializer'))).toBe(false)
    expect(byName.get('b')!.changes[0]).toEqual({ field: 'class_name', old: 'Dense', new: 'Dropout' })
    expect(byName.get('m')!.changes).toEqual([{ field: 'inbound', old: 'a, b', new: 'b, a' }])
    expect(diff.edges.every((e) => e.status === 'same')).toBe(true)
    expect(diff.input_shape).toEqual({ old: '[30]', new: '[12]' })
  })

  it('a leading InputLayer is the model input, whatever its name', () => {
    const withInput = graph([{ class_name: 'InputLayer', config: { name: 'x', input_shape: [30] } }, dense('d1', 16, ['x']), dense('d2', 16), dense('out', 1, undefined, { activation: 'sigmoid' })])
    const diff = architectureDiff(chain, withInput)
    expect(diff.same).toBe(true)
    expect(diff.nodes.map((n) => n.name)).toEqual(['input', 'd1', 'd2', 'out'])
  })
})
