import { describe, expect, it } from 'vitest'
import { checkSpecLimits, estimateSpec, formatBytes, groupDigits, MAX_PARAMS } from './limits'
import type { LayerSpec, ModelSpec } from './schema'
import { validateSpec } from './validate'
import { EXAMPLES } from '../examples'

const summary = (inputShape: number[], layers: LayerSpec[]) => {
  const spec: ModelSpec = { format: 'model-workbench/spec', version: 1, name: 'm', input_shape: inputShape, layers }
  const result = validateSpec(spec)
  if (!result.ok) throw new Error(result.errors.map((e) => e.message).join('; '))
  return result.summary!
}

describe('spec limits', () => {
  it('formats numbers and sizes for messages', () => {
    expect(groupDigits(50_000_000)).toBe('50 000 000')
    expect(groupDigits(999)).toBe('999')
    expect(formatBytes(512)).toBe('512 bytes')
    expect(formatBytes(5 * 1024 ** 3)).toBe('5.0 GiB')
  })

  it('estimates parameters and activation memory from the inferred shapes', () => {
    const s = summary([784], [{ class_name: 'Dense', config: { units: 128 } }, { class_name: 'Dense', config: { units: 10 } }])
    const estimate = estimateSpec(s, 32)
    expect(estimate.params).toBe(784 * 128 + 128 + 128 * 10 + 10)
    expect(estimate.valuesPerSample).toBe(784 + 128 + 10)
    expect(estimate.activationBytes).toBe((784 + 128 + 10) * 4 * 2 * 32)
    expect(estimate.largestLayer).toMatchObject({ index: 1, class_name: 'Dense', params: 784 * 128 + 128 })
    expect(checkSpecLimits(s, 32)).toBeNull()
  })

  it('refuses just past the parameter limit, with the numbers and the largest layer', () => {
    // 1 input → Dense(units): 2·units parameters.
    const at = summary([1], [{ class_name: 'Dense', config: { units: MAX_PARAMS / 2 } }])
    expect(checkSpecLimits(at, 1)).toBeNull()
    const past = summary([1], [{ class_name: 'Dense', config: { units: MAX_PARAMS / 2 + 1 } }])
    expect(checkSpecLimits(past, 1)).toBe('the model has 50 000 002 parameters (layer 1 (Dense) "dense_1" alone has 50 000 002), more than the limit of 50 000 000 (training would need about 762.9 MiB for the weights alone); use fewer units or filters, or pool before a Dense layer')
  })

  it('refuses a layer too wide for even one sample and a batch too big, saying which batch size fits', () => {
    const wide = summary([1], [{ class_name: 'Dense', config: { units: 1, use_bias: false } }, { class_name: 'Reshape', config: { target_shape: [1, 1, 1] } }, { class_name: 'Conv2D', config: { filters: 200_000_000, kernel_size: 1, use_bias: false } }])
    expect(checkSpecLimits(wide, 1)).toMatch(/^the model has 200 000 001 parameters/)
    const images = summary([512, 512, 3], [{ class_name: 'Conv2D', config: { filters: 32, kernel_size: 3, padding: 'same' } }, { class_name: 'Flatten', config: {} }, { class_name: 'Dense', config: { units: 2 } }])
    const message = checkSpecLimits(images, 1024)!
    expect(message).toMatch(/^one batch of 1 024 samples needs about 70\.0 GiB for the layers' outputs and their gradients, more than the limit of 4\.0 GiB; use a batch size of at most 58$/)
    expect(checkSpecLimits(images, 58)).toBeNull()
    expect(checkSpecLimits(images, 59)).toMatch(/^one batch of 59 samples/)
  })

  it.each(EXAMPLES.map((example) => [example.id, example] as const))('the seed %s is far inside the limits', (_, example) => {
    const result = validateSpec(example.spec)
    expect(result.ok).toBe(true)
    expect(checkSpecLimits(result.summary, example.config.batch_size)).toBeNull()
    // Ten times the batch still fits: the limits stop only what no workstation trains.
    expect(checkSpecLimits(result.summary, example.config.batch_size * 10)).toBeNull()
  })
})
