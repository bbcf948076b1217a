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

  it('prints a graph as Keras 3 prints a Functional model: the input row, and "Connected to" on 108 characters', () => {
    const spec: ModelSpec = {
      format: 'model-workbench/spec', version: 2, name: 'resmlp', input_shape: [30],
      layers: [
        { class_name: 'Dense', config: { name: 'd1', units: 32, activation: 'relu' } },
        { class_name: 'Dense', config: { name: 'd2', units: 32, activation: 'relu' } },
        { class_name: 'Add', config: { name: 'add_1' }, inbound: ['d1', 'd2'] },
        { class_name: 'Dense', config: { name: 'out', units: 1, activation: 'sigmoid' }, inbound: ['add_1'] }
      ]
    }
    const pad = (text: string, to: number): string => text + ' '.repeat(to - text.length)
    const line = (a: string, b: string, c: string, d: string): string => pad(a, 32) + pad(b, 28) + pad(c, 19) + d
    expect(summaryText(spec)).toBe(
      [
        'Model: "resmlp"',
        '_'.repeat(108),
        line('Layer (type)', 'Output Shape', 'Param #', 'Connected to'),
        '='.repeat(108),
        line('input (InputLayer)', '(None, 30)', '0', '-'),
        '_'.repeat(108),
        line('d1 (Dense)', '(None, 32)', '992', 'input[0][0]'),
        '_'.repeat(108),
        line('d2 (Dense)', '(None, 32)', '1,056', 'd1[0][0]'),
        '_'.repeat(108),
        line('add_1 (Add)', '(None, 32)', '0', 'd1[0][0], d2[0][0]'),
        '_'.repeat(108),
        line('out (Dense)', '(None, 1)', '33', 'add_1[0][0]'),
        '='.repeat(108),
        'Total params: 2,081',
        'Trainable params: 2,081',
        'Non-trainable params: 0',
        '_'.repeat(108),
        ''
      ].join('\n')
    )
  })

  it("wraps a merge's many connections inside the column, lists layers in topological order and names a leading InputLayer", () => {
    const text = summaryText({
      format: 'model-workbench/spec', version: 2, name: 'wide', input_shape: [4],
      layers: [
        { class_name: 'InputLayer', config: { name: 'features', input_shape: [4] } },
        { class_name: 'Concatenate', config: { name: 'cat' }, inbound: ['branch_one', 'branch_two', 'branch_three', 'features'] },
        { class_name: 'Dense', config: { name: 'branch_one', units: 2 }, inbound: ['features'] },
        { class_name: 'Dense', config: { name: 'branch_two', units: 2 }, inbound: ['features'] },
        { class_name: 'Dense', config: { name: 'branch_three', units: 2 }, inbound: ['features'] }
      ]
    })
    const lines = text.split('\n')
    expect(lines[4]).toMatch(/^features \(InputLayer\) +\(None, 4\) +0 +-$/)
    expect(lines.filter((l) => / \((Dense|Concatenate)\)/.test(l)).map((l) => l.split(' ')[0])).toEqual(['branch_one', 'branch_two', 'branch_three', 'cat'])
    const at = lines.findIndex((l) => l.startsWith('cat (Concatenate)'))
    // The column is 29 characters: one connection a line here, continuation lines blank elsewhere.
    expect(lines[at]).toMatch(/\(None, 10\) +0 +branch_one\[0\]\[0\],$/)
    expect(lines.slice(at + 1, at + 4)).toEqual(['branch_two[0][0],', 'branch_three[0][0],', 'features[0][0]'].map((c) => ' '.repeat(79) + c))
    expect(summaryText({ format: 'model-workbench/spec', version: 2, name: 'm', input_shape: [2], layers: [
      { class_name: 'Dense', config: { name: 'a', units: 2 }, inbound: ['input'] },
      { class_name: 'Add', config: { name: 's' }, inbound: ['a', 'a', 'input'] }
    ] })).toContain(`0                  a[0][0], a[0][0],\n${' '.repeat(79)}input[0][0]\n`)
    expect(lines.every((l) => l.length <= 108)).toBe(true)
  })

  it('throws a readable error for an invalid spec', () => {
    expect(() => summaryText({ format: 'model-workbench/spec', version: 1, name: 'm', input_shape: [1], layers: [{ class_name: 'Dense', config: { units: 0 } }] })).toThrow(
      'layer 1 (Dense): units must be a positive integer, got 0'
    )
  })
})
