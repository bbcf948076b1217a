// The layers tfjs runs but cannot train: each case really fails in tfjs's training (so the rule is
// not a guess), the same spec with the named field changed trains, and runs.start refuses the
// untrainable spec before it forks a trainer, with the typed reason.
import { beforeAll, describe, expect, it } from 'vitest'
import * as tf from '@tensorflow/tfjs'
import { buildModel } from '../src/main/engine/model-builder'
import { inferShapes, trainingProblems, type LayerSpec, type ModelSpec } from '../src/shared/model-spec'
import { requireTrainableSpec } from '../src/main/services/spec-checks'

const model = (inputShape: number[], layers: LayerSpec[]): ModelSpec => ({ format: 'model-workbench/spec', version: 2, name: 'm', input_shape: inputShape, layers })
const tail: LayerSpec[] = [{ class_name: 'Flatten', config: {} }, { class_name: 'Dense', config: { units: 1 } }]

async function trainError(spec: ModelSpec): Promise<string | null> {
  const built = buildModel(tf, spec, { seed: 1 })
  built.compile({ optimizer: 'adam', loss: 'meanSquaredError' })
  try {
    await built.fit(tf.randomNormal([4, ...spec.input_shape], 0, 1, 'float32', 1), tf.randomNormal([4, 1], 0, 1, 'float32', 2), { epochs: 1, verbose: 0 })
    return null
  } catch (error) {
    return (error as Error).message
  } finally {
    built.dispose()
  }
}

const CASES: Array<[string, ModelSpec, ModelSpec, string, string]> = [
  ['dilated Conv2D', model([8, 8, 1], [{ class_name: 'Conv2D', config: { filters: 2, kernel_size: 3, dilation_rate: 2 } }, ...tail]), model([8, 8, 1], [{ class_name: 'Conv2D', config: { filters: 2, kernel_size: 3 } }, ...tail]), 'train.dilated_gradient', 'dilation_rate'],
  ['dilated Conv1D', model([10, 2], [{ class_name: 'Conv1D', config: { filters: 2, kernel_size: 3, dilation_rate: 2 } }, ...tail]), model([10, 2], [{ class_name: 'Conv1D', config: { filters: 2, kernel_size: 3 } }, ...tail]), 'train.dilated_gradient', 'dilation_rate'],
  ['LayerNormalization without center', model([3, 4], [{ class_name: 'LayerNormalization', config: { center: false } }, ...tail]), model([3, 4], [{ class_name: 'LayerNormalization', config: {} }, ...tail]), 'train.layer_norm_gradient', 'center'],
  ['LayerNormalization without scale', model([3, 4], [{ class_name: 'LayerNormalization', config: { scale: false } }, ...tail]), model([3, 4], [{ class_name: 'LayerNormalization', config: {} }, ...tail]), 'train.layer_norm_gradient', 'scale']
]

beforeAll(async () => {
  await tf.setBackend('cpu')
})

describe('layers tfjs cannot train', () => {
  it.each(CASES)('%s: tfjs fails, the rule names the layer and field, the fixed spec trains', async (_name, bad, fixed, reason, field) => {
    expect(await trainError(bad)).not.toBeNull()
    expect(trainingProblems(bad, inferShapes(bad))).toMatchObject([{ layer: 1, reason, field }])
    expect(() => requireTrainableSpec(bad)).toThrow(expect.objectContaining({ code: 'bad_input', reason }))
    expect(trainingProblems(fixed, inferShapes(fixed))).toEqual([])
    expect(requireTrainableSpec(fixed).ok).toBe(true)
    expect(await trainError(fixed)).toBeNull()
  })
})
