// Model files in a run folder: <runDir>/best and <runDir>/last, each a TF.js layers model
// (model.json + weights.bin). Written with tf.io.withSaveHandler because the file:// handler
// only exists with tfjs-node; read back with tf.io.fromMemory (round-trips exactly).
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import type { LayersModel, io } from '@tensorflow/tfjs'
import type { Tf } from './backend'
import { registerCustomLayers } from './model-builder'

export const WEIGHT_FOLDERS = ['best', 'last'] as const
export type WeightFolder = (typeof WEIGHT_FOLDERS)[number]

function concatenate(data: ArrayBuffer | ArrayBuffer[]): Uint8Array {
  if (!Array.isArray(data)) return new Uint8Array(data)
  const total = data.reduce((sum, part) => sum + part.byteLength, 0)
  const out = new Uint8Array(total)
  let at = 0
  for (const part of data) {
    out.set(new Uint8Array(part), at)
    at += part.byteLength
  }
  return out
}

/** Save a model to `folder` (replaced whole: a crash mid-write leaves the old copy or none). */
export async function saveModelFolder(tf: Tf, model: LayersModel, folder: string): Promise<void> {
  const partial = `${folder}.partial`
  await rm(partial, { recursive: true, force: true })
  await mkdir(partial, { recursive: true })
  await model.save(
    tf.io.withSaveHandler(async (artifacts: io.ModelArtifacts) => {
      const modelJson = {
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs ?? [] }]
      }
      await writeFile(join(partial, 'model.json'), JSON.stringify(modelJson))
      await writeFile(join(partial, 'weights.bin'), artifacts.weightData ? concatenate(artifacts.weightData) : new Uint8Array(0))
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }
    })
  )
  await rm(folder, { recursive: true, force: true })
  await rename(partial, folder)
}

/** The folder to read a run's model from: best weights when kept, else the last ones. */
export function modelFolder(runDir: string): string | null {
  for (const name of WEIGHT_FOLDERS) {
    const folder = join(runDir, name)
    if (existsSync(join(folder, 'model.json'))) return folder
  }
  return null
}

export async function loadModelFolder(tf: Tf, folder: string): Promise<LayersModel> {
  let modelJson: { modelTopology: object; weightsManifest: Array<{ weights: io.WeightsManifestEntry[] }> }
  try {
    modelJson = JSON.parse(await readFile(join(folder, 'model.json'), 'utf8'))
  } catch (error) {
    throw new Error(`Cannot read the saved model in ${folder}: ${(error as Error).message}`)
  }
  const weights = await readFile(join(folder, 'weights.bin'))
  const weightData = weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength)
  const weightSpecs = modelJson.weightsManifest.flatMap((group) => group.weights)
  // A graph's Subtract is our own class: registered before tfjs deserialises the topology.
  registerCustomLayers(tf)
  restoreDepthMultipliers(modelJson.modelTopology, weightSpecs)
  return tf.loadLayersModel(tf.io.fromMemory({ modelTopology: modelJson.modelTopology, weightSpecs, weightData }))
}

/**
 * tfjs-layers 4.22 leaves SeparableConv2D's depth_multiplier out of the config it saves, so the
 * layer would come back with a multiplier of 1 and refuse its own weights: put it back from the
 * saved depthwise kernel's shape (kh, kw, in, multiplier).
 */
export function restoreDepthMultipliers(topology: object, weightSpecs: readonly io.WeightsManifestEntry[]): void {
  const layers = (topology as { config?: { layers?: unknown } }).config?.layers
  if (!Array.isArray(layers)) return
  for (const layer of layers as Array<{ class_name?: string; config?: Record<string, unknown> }>) {
    if (layer.class_name !== 'SeparableConv2D' || !layer.config || layer.config.depth_multiplier !== undefined) continue
    const kernel = weightSpecs.find((spec) => spec.name === `${String(layer.config!.name)}/depthwise_kernel`)
    if (kernel && kernel.shape.length === 4) layer.config.depth_multiplier = kernel.shape[3]
  }
}
