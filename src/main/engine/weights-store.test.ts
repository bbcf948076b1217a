import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as tf from '@tensorflow/tfjs'
import { buildModel } from './model-builder'
import { loadModelFolder, saveModelFolder } from './weights-store'
import { MODEL_INPUT, type ModelSpec } from '../../shared/model-spec'

const dir = mkdtempSync(join(tmpdir(), 'weights-store-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
beforeAll(async () => {
  await tf.setBackend('cpu')
})

describe('a run folder saved and loaded again', () => {
  it('gives the same predictions, for a graph with Subtract and a SeparableConv2D whose depth multiplier tfjs forgets to save', async () => {
    const spec: ModelSpec = {
      format: 'model-workbench/spec', version: 2, name: 'sep', input_shape: [6, 6, 2],
      layers: [
        { class_name: 'SeparableConv2D', config: { name: 'sep', filters: 3, kernel_size: 3, depth_multiplier: 2, padding: 'same' }, inbound: [MODEL_INPUT] },
        { class_name: 'Conv2D', config: { name: 'conv', filters: 3, kernel_size: 1 }, inbound: [MODEL_INPUT] },
        { class_name: 'Subtract', config: { name: 'diff' }, inbound: ['sep', 'conv'] },
        { class_name: 'Flatten', config: { name: 'flat' }, inbound: ['diff'] },
        { class_name: 'Dense', config: { name: 'out', units: 2 }, inbound: ['flat'] }
      ]
    }
    const model = buildModel(tf, spec, { seed: 5 })
    const folder = join(dir, 'best')
    await saveModelFolder(tf, model, folder)
    const loaded = await loadModelFolder(tf, folder)
    const x = tf.randomUniform([3, 6, 6, 2], -1, 1, 'float32', 2)
    const before = (model.predict(x) as tf.Tensor).dataSync()
    const after = (loaded.predict(x) as tf.Tensor).dataSync()
    expect(Array.from(after)).toEqual(Array.from(before))
  })
})
