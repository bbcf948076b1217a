import { describe, expect, it } from 'vitest'
import { FIXTURE_SPECS, fixture } from './export-fixtures'

describe('export fixtures', () => {
  it('give every non-input layer with Keras-named weights and predictions for raw rows', async () => {
    const f = await fixture(FIXTURE_SPECS.cnn, { scaling: 'divide255', rows: 4 })
    expect(f.model.layers.map((l) => l.class_name)).toEqual(['Conv2D', 'MaxPooling2D', 'Conv2D', 'BatchNormalization', 'Flatten', 'Dense'])
    expect(f.model.layers[0].weights.map((w) => [w.name, w.shape])).toEqual([['kernel', [3, 3, 1, 3]], ['bias', [3]]])
    expect(f.model.layers[3].weights.map((w) => w.name)).toEqual(['gamma', 'beta', 'moving_mean', 'moving_variance'])
    expect(f.model.scaling?.uniform).toEqual({ offset: 0, scale: 1 / 255 })
    expect(f.sample.rows).toBe(4)
    expect(f.sample.outputs).toBe(4)
    expect(Math.max(...f.sample.raw)).toBeGreaterThan(1)
    // softmax rows sum to one
    for (let r = 0; r < 4; r++) expect(f.sample.expected.slice(r * 4, r * 4 + 4).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5)
    f.dispose()
  })

  it('scales raw table rows per feature before predicting', async () => {
    const f = await fixture(FIXTURE_SPECS.table, { rows: 3 })
    expect(f.model.scaling?.uniform).toBeNull()
    expect(f.sample.raw[7]).toBeGreaterThan(20) // raw values sit around the offset (77 for feature 8)
    expect(f.model.layers.map((l) => l.name)).toEqual(['dense_1', 'activation_1', 'dense_2'])
    f.dispose()
  })
})
