// Small synthetic data and small seeded models (through the spec builder) for the engine tests.
import type { LayersModel } from '@tensorflow/tfjs'
import type { Tf } from '../src/main/engine/backend'
import type { TrainingData } from '../src/main/engine/training-loop'
import { createRandom } from '../src/main/engine/seeded-random'
import { buildModel } from '../src/main/engine/model-builder'
import type { ModelSpec } from '../src/shared/model-spec'
import { trainingConfigSchema, type TrainingConfigInput } from '../src/shared/training'

/** A Dense stack built from a model spec by the app's own builder (seeded initialisers). */
export function denseModel(tf: Tf, inputSize: number, layers: Array<{ units: number; activation: string }>, seed = 1): LayersModel {
  const spec = {
    format: 'model-workbench/spec',
    version: 1,
    name: 'engine-test',
    input_shape: [inputSize],
    layers: layers.map((layer) => ({ class_name: 'Dense', config: { units: layer.units, activation: layer.activation } }))
  } as ModelSpec
  return buildModel(tf, spec, { seed })
}

export function config(input: Partial<TrainingConfigInput> & Pick<TrainingConfigInput, 'loss'>) {
  return trainingConfigSchema.parse({ validation: { kind: 'none' }, evaluate_test: false, ...input })
}

/** y = 2x on [-1, 1] (seed 004's problem, more rows). */
export function linearData(count = 64): TrainingData {
  const random = createRandom(7)
  const x = new Float32Array(count)
  const y = new Float32Array(count)
  for (let i = 0; i < count; i++) {
    x[i] = random() * 2 - 1
    y[i] = 2 * x[i]
  }
  return { train: { x, y, count, featureShape: [1] }, task: 'regression', numClasses: 0, targetSize: 1 }
}

/** XOR with a little noise, repeated: a binary task no linear model solves. */
export function xorData(repeats = 32): TrainingData {
  const random = createRandom(11)
  const count = 4 * repeats
  const x = new Float32Array(count * 2)
  const y = new Float32Array(count)
  for (let i = 0; i < count; i++) {
    const a = i % 2
    const b = (i >> 1) % 2
    x[2 * i] = a + (random() - 0.5) * 0.1
    x[2 * i + 1] = b + (random() - 0.5) * 0.1
    y[i] = a ^ b
  }
  return { train: { x, y, count, featureShape: [2] }, task: 'binary', numClasses: 2, targetSize: 1 }
}

/** Three Gaussian blobs in 2-D: an easy multiclass task. */
export function blobData(perClass = 40, seed = 3): TrainingData {
  const random = createRandom(seed)
  const centres = [[0, 0], [3, 3], [-3, 3]]
  const count = perClass * centres.length
  const x = new Float32Array(count * 2)
  const y = new Float32Array(count)
  for (let i = 0; i < count; i++) {
    const k = i % centres.length
    x[2 * i] = centres[k][0] + (random() - 0.5)
    x[2 * i + 1] = centres[k][1] + (random() - 0.5)
    y[i] = k
  }
  return { train: { x, y, count, featureShape: [2] }, task: 'multiclass', numClasses: 3, targetSize: 1 }
}
