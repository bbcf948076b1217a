// Turns a model spec into a tfjs Sequential model: snake_case Keras configs to tfjs-layers configs,
// every random initializer and Dropout seeded from the run seed, explicit initial weights applied.
import type * as TfjsModule from '@tensorflow/tfjs'
import {
  inferShapes,
  layerNames,
  resolveInitializer,
  resolveRegularizer,
  resolvedConfig,
  type InitializerValue,
  type LayerSpec,
  type ModelSpec,
  type RegularizerValue
} from '../../shared/model-spec'

type Tf = typeof TfjsModule
type Initializer = ReturnType<Tf['initializers']['zeros']>
type Regularizer = ReturnType<Tf['regularizers']['l2']>
type Layer = TfjsModule.layers.Layer

/** tfjs spells two activations differently from Keras. */
const TFJS_ACTIVATION: Record<string, string> = { hard_sigmoid: 'hardSigmoid' }

/**
 * A distinct 31-bit seed for each (run seed, layer, slot): the same run seed always gives the same
 * weights, and no two initializers of a model share a random stream.
 */
export function derivedSeed(seed: number, layerIndex: number, slot: string): number {
  let h = (2166136261 ^ seed) >>> 0
  const text = `${layerIndex}:${slot}`
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 16777619) >>> 0
  }
  h ^= seed >>> 16
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> 0
  h = Math.imul(h ^ (h >>> 12), 0x297a2d39) >>> 0
  return (h ^ (h >>> 15)) & 0x7fffffff
}

function initializer(tf: Tf, value: InitializerValue, seed: number): Initializer {
  const resolved = resolveInitializer(value)
  if (!resolved) throw new Error(`unknown initializer ${JSON.stringify(value)}`)
  const p = resolved.params
  const s = resolved.seed ?? seed
  const init = tf.initializers
  switch (resolved.name) {
    case 'glorot_uniform': return init.glorotUniform({ seed: s })
    case 'glorot_normal': return init.glorotNormal({ seed: s })
    case 'he_normal': return init.heNormal({ seed: s })
    case 'he_uniform': return init.heUniform({ seed: s })
    case 'lecun_normal': return init.leCunNormal({ seed: s })
    case 'lecun_uniform': return init.leCunUniform({ seed: s })
    case 'random_uniform': return init.randomUniform({ minval: p.minval, maxval: p.maxval, seed: s })
    case 'random_normal': return init.randomNormal({ mean: p.mean, stddev: p.stddev, seed: s })
    case 'truncated_normal': return init.truncatedNormal({ mean: p.mean, stddev: p.stddev, seed: s })
    case 'zeros': return init.zeros()
    case 'ones': return init.ones()
    case 'constant': return init.constant({ value: p.value })
    default: throw new Error(`no tfjs initializer for "${resolved.name}"`)
  }
}

function regularizer(tf: Tf, value: RegularizerValue): Regularizer | undefined {
  const resolved = resolveRegularizer(value)
  if (!resolved) return undefined
  if (resolved.name === 'l1') return tf.regularizers.l1({ l1: resolved.l1 })
  if (resolved.name === 'l2') return tf.regularizers.l2({ l2: resolved.l2 })
  return tf.regularizers.l1l2({ l1: resolved.l1, l2: resolved.l2 })
}

function tfLayer(tf: Tf, layer: LayerSpec, name: string, index: number, seed: number, inputShape: number[] | undefined, outputShape: number[]): Layer {
  const c = resolvedConfig(layer)
  const init = (key: string): Initializer => initializer(tf, c[key] as InitializerValue, derivedSeed(seed, index, key))
  const reg = (key: string): Regularizer | undefined => regularizer(tf, c[key] as RegularizerValue)
  const activation = (TFJS_ACTIVATION[c.activation as string] ?? c.activation) as 'linear'
  const common = { name, trainable: c.trainable !== false, ...(inputShape ? { inputShape } : {}) }
  const L = tf.layers
  switch (layer.class_name) {
    case 'InputLayer':
      return L.inputLayer({ name, inputShape: c.input_shape as number[] })
    case 'Dense':
      return L.dense({
        ...common, units: c.units as number, activation, useBias: c.use_bias as boolean,
        kernelInitializer: init('kernel_initializer'), biasInitializer: init('bias_initializer'),
        kernelRegularizer: reg('kernel_regularizer'), biasRegularizer: reg('bias_regularizer')
      })
    case 'Activation':
      return L.activation({ ...common, activation })
    case 'Dropout':
      return L.dropout({ ...common, rate: c.rate as number, seed: (c.seed as number | null) ?? derivedSeed(seed, index, 'dropout') })
    case 'Flatten':
      return L.flatten(common)
    case 'Reshape':
      // tfjs leaves a -1 unresolved at build time (and a following Flatten then fails), so pass the inferred shape.
      return L.reshape({ ...common, targetShape: outputShape })
    case 'BatchNormalization':
      return L.batchNormalization({
        ...common, axis: c.axis as number, momentum: c.momentum as number, epsilon: c.epsilon as number,
        center: c.center as boolean, scale: c.scale as boolean,
        betaInitializer: init('beta_initializer'), gammaInitializer: init('gamma_initializer'),
        movingMeanInitializer: init('moving_mean_initializer'), movingVarianceInitializer: init('moving_variance_initializer'),
        betaRegularizer: reg('beta_regularizer'), gammaRegularizer: reg('gamma_regularizer')
      })
    case 'Conv2D':
      return L.conv2d({
        ...common, filters: c.filters as number, kernelSize: c.kernel_size as number[], strides: c.strides as number[],
        padding: c.padding as 'valid', dilationRate: c.dilation_rate as [number, number], activation, useBias: c.use_bias as boolean,
        dataFormat: 'channelsLast',
        kernelInitializer: init('kernel_initializer'), biasInitializer: init('bias_initializer'),
        kernelRegularizer: reg('kernel_regularizer'), biasRegularizer: reg('bias_regularizer')
      })
    case 'MaxPooling2D':
    case 'AveragePooling2D': {
      const pooling = { ...common, poolSize: c.pool_size as [number, number], strides: ((c.strides as number[] | null) ?? c.pool_size) as [number, number], padding: c.padding as 'valid', dataFormat: 'channelsLast' as const }
      return layer.class_name === 'MaxPooling2D' ? L.maxPooling2d(pooling) : L.averagePooling2d(pooling)
    }
    default:
      throw new Error(`layer ${index} (${layer.class_name}) has no tfjs counterpart`)
  }
}

/**
 * Builds the spec as a tfjs Sequential model, one tfjs layer per spec layer (a spec InputLayer
 * becomes model.layers[0] too). Throws SpecValidationError for an invalid spec.
 */
export function buildModel(tf: Tf, spec: ModelSpec, options: { seed: number }): TfjsModule.Sequential {
  const shapes = inferShapes(spec)
  const names = layerNames(spec.layers)
  const model = tf.sequential({ name: spec.name.replace(/[^A-Za-z0-9_.-]/g, '_') || 'model' })
  spec.layers.forEach((layer, position) => {
    const first = position === 0 && layer.class_name !== 'InputLayer'
    model.add(tfLayer(tf, layer, names[position], position + 1, options.seed, first ? [...spec.input_shape] : undefined, shapes.layers[position].output_shape))
  })
  spec.layers.forEach((layer, position) => {
    if (!layer.weights) return
    const expected = shapes.layers[position].weights
    const tensors = layer.weights.map((values, w) => tf.tensor(values, expected[w].shape))
    model.layers[position].setWeights(tensors)
    tf.dispose(tensors)
  })
  return model
}
