import { describe, expect, it } from 'vitest'
import { summaryText } from './summary'
import type { ModelSpec } from './schema'

describe('summaryText', () => {
  it("prints seed 004's summary: two Dense layers, 6 + 4 = 10 parameters", () => {
    const spec: ModelSpec = {
      format: 'model-workbench/spec', version: 1, name: 'seed004', input_shape: [1],
      layers: [{ class_name: 'Dense', config: { units: 3, activation: 'relu' } }, { class_name: 'Dense', config: { units: 1, activation: 'linear' } }]
    }
    expect(summaryText(spec)).toBe(
      [
        'Model: "seed004"',
        '_'.repeat(65),
        'Layer (type)                 Output Shape              Param #',
        '='.repeat(65),
        'dense_1 (Dense)              (None, 3)                 6',
        '_'.repeat(65),
        'dense_2 (Dense)              (None, 1)                 4',
        '='.repeat(65),
        'Total params: 10',
        'Trainable params: 10',
        'Non-trainable params: 0',
        '_'.repeat(65),
        ''
      ].join('\n')
    )
  })

  it('leaves out the InputLayer, groups thousands in totals and counts non-trainable parameters', () => {
    const text = summaryText({
      format: 'model-workbench/spec', version: 1, name: 'm', input_shape: [784],
      layers: [{ class_name: 'InputLayer', config: { input_shape: [784] } }, { class_name: 'Dense', config: { units: 512 } }, { class_name: 'BatchNormalization', config: {} }]
    })
    expect(text).not.toContain('InputLayer')
    expect(text).toContain('batch_normalization_1 (Batch (None, 512)               2048')
    expect(text).toContain('Total params: 403,968')
    expect(text).toContain('Non-trainable params: 1,024')
  })

  it('throws a readable error for an invalid spec', () => {
    expect(() => summaryText({ format: 'model-workbench/spec', version: 1, name: 'm', input_shape: [1], layers: [{ class_name: 'Dense', config: { units: 0 } }] })).toThrow(
      'layer 1 (Dense): units must be a positive integer, got 0'
    )
  })
})
