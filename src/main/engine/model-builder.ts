// Turns a model spec into a tfjs model (Sequential for a chain, functional for a graph): snake_case Keras configs to tfjs-layers configs,
// every random initializer and Dropout seeded from the run seed, explicit initial weights applied.
import type * as TfjsModule from '@tensorflow/tfjs'
import {
  inferShapes,
  inputLayerName,
  isSequentialSpec,
  LAYER_CLASSES,
  layerNames,
  MERGE_CLASSES,
  MODEL_INPUT,
  specGraph,
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
    case 'orthogonal': return init.orthogonal({ gain: p.gain, seed: s })
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

const subtractClasses = new WeakMap<object, new (args: { name: string }) => Layer>()

/**
 * tfjs-layers has no Subtract merge layer (it has Add, Multiply, Average, Maximum, Minimum,
 * Concatenate): this one computes inputs[0] − inputs[1] as Keras's does, registered under Keras's
 * class name so that a saved model.json loads again in the app.
 */
function subtractLayerClass(tf: Tf): new (args: { name: string }) => Layer {
  const known = subtractClasses.get(tf)
  if (known) return known
  class Subtract extends tf.layers.Layer {
    static readonly className = 'Subtract'
    override computeOutputShape(inputShape: TfjsModule.Shape | TfjsModule.Shape[]): TfjsModule.Shape {
      return (inputShape as TfjsModule.Shape[])[0]
    }
    override call(inputs: TfjsModule.Tensor | TfjsModule.Tensor[]): TfjsModule.Tensor {
      const [a, b] = inputs as TfjsModule.Tensor[]
      return tf.sub(a, b)
    }
  }
  tf.serialization.registerClass(Subtract)
  subtractClasses.set(tf, Subtract)
  return Subtract
}

/** Registers the app's own layer classes (Subtract) with tfjs, so that a saved model.json that uses them loads in a fresh process. */
export function registerCustomLayers(tf: Tf): void {
  subtractLayerClass(tf)
}

/** The one value of a length-1 int_list (Conv1D's kernel_size [3]). */
function first(value: unknown): number {
  return Array.isArray(value) ? (value[0] as number) : (value as number)
}

/**
 * A stream of distinct seeds from one base: tfjs draws a random op with a fixed seed the same way
 * every call, so each draw takes the next seed (deterministic for a run seed, new noise every step).
 */
function seedStream(base: number): () => number {
  let calls = 0
  return () => derivedSeed(base, calls++, 'draw')
}

/**
 * A dropout layer (Dropout, SpatialDropout1D/2D) that draws a new mask at every training call.
 * tfjs's own layer passes its one fixed seed to every draw, so it drops the SAME units on every
 * step: those units never train, and at inference they add their untrained weights back. Each
 * training call takes the next seed of a stream from the layer's seed (deterministic per run seed).
 */
function freshMaskEachStep(layer: Layer, seed: number): Layer {
  const next = seedStream(seed)
  const call = layer.call.bind(layer)
  const seeded = layer as unknown as { seed?: number }
  layer.call = (inputs, kwargs) => {
    if (kwargs.training === true) seeded.seed = next()
    return call(inputs, kwargs)
  }
  return layer
}

/**
 * GaussianNoise with seeded noise: tfjs-layers' own class takes no seed (it draws from Math.random).
 * A subclass of it, so that it serialises as tfjs's "GaussianNoise" and loads anywhere.
 */
function seededGaussianNoise(tf: Tf, args: { name: string; trainable: boolean; inputShape?: number[]; stddev: number }, seed: number): Layer {
  const Stock = tf.layers.gaussianNoise({ stddev: args.stddev }).constructor as new (a: typeof args) => Layer
  const next = seedStream(seed)
  class SeededGaussianNoise extends Stock {
    override call(inputs: TfjsModule.Tensor | TfjsModule.Tensor[], kwargs: Record<string, unknown>): TfjsModule.Tensor {
      const x = Array.isArray(inputs) ? inputs[0] : inputs
      if (kwargs.training !== true) return tf.clone(x)
      return tf.tidy(() => tf.add(x, tf.randomNormal(x.shape, 0, args.stddev, 'float32', next())))
    }
  }
  return new SeededGaussianNoise(args)
}

/**
 * SimpleRNN, LSTM or GRU from a resolved config. The input and recurrent dropout masks are drawn
 * from a seed stream (tfjs's cells would draw them unseeded); `slot` keeps a Bidirectional's
 * initializer seeds apart from a plain layer's.
 */
function recurrentLayer(tf: Tf, className: string, c: Record<string, unknown>, common: { name: string; trainable: boolean; inputShape?: number[] }, index: number, seed: number, slot: string): TfjsModule.RNN {
  const init = (key: string): Initializer => initializer(tf, c[key] as InitializerValue, derivedSeed(seed, index, slot + key))
  const reg = (key: string): Regularizer | undefined => regularizer(tf, c[key] as RegularizerValue)
  const act = (key: string): 'linear' => (TFJS_ACTIVATION[c[key] as string] ?? c[key]) as 'linear'
  const next = seedStream((c.seed as number | null) ?? derivedSeed(seed, index, slot + 'dropout'))
  const args = {
    ...common, units: c.units as number, activation: act('activation'), useBias: c.use_bias as boolean,
    kernelInitializer: init('kernel_initializer'), recurrentInitializer: init('recurrent_initializer'), biasInitializer: init('bias_initializer'),
    kernelRegularizer: reg('kernel_regularizer'), recurrentRegularizer: reg('recurrent_regularizer'), biasRegularizer: reg('bias_regularizer'),
    dropout: c.dropout as number, recurrentDropout: c.recurrent_dropout as number, returnSequences: c.return_sequences as boolean,
    dropoutFunc: (x: TfjsModule.Tensor, rate: number) => tf.dropout(x, rate, undefined, next())
  }
  const L = tf.layers
  // tfjs defaults recurrentActivation to hard_sigmoid; Keras to sigmoid: always pass it.
  if (className === 'LSTM') return L.lstm({ ...args, recurrentActivation: act('recurrent_activation'), unitForgetBias: c.unit_forget_bias as boolean })
  if (className === 'GRU') return L.gru({ ...args, recurrentActivation: act('recurrent_activation'), resetAfter: false } as Parameters<typeof L.gru>[0])
  return L.simpleRNN(args)
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
      return freshMaskEachStep(L.dropout({ ...common, rate: c.rate as number }), (c.seed as number | null) ?? derivedSeed(seed, index, 'dropout'))
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
    case 'Add':
      return L.add({ name })
    case 'Subtract':
      return new (subtractLayerClass(tf))({ name })
    case 'Multiply':
      return L.multiply({ name })
    case 'Average':
      return L.average({ name })
    case 'Maximum':
      return L.maximum({ name })
    case 'Minimum':
      return L.minimum({ name })
    case 'Concatenate':
      return L.concatenate({ name, axis: c.axis as number })
    case 'Conv1D':
      return L.conv1d({
        ...common, filters: c.filters as number, kernelSize: first(c.kernel_size), strides: first(c.strides),
        padding: c.padding as 'valid', dilationRate: first(c.dilation_rate), activation, useBias: c.use_bias as boolean,
        dataFormat: 'channelsLast',
        kernelInitializer: init('kernel_initializer'), biasInitializer: init('bias_initializer'),
        kernelRegularizer: reg('kernel_regularizer'), biasRegularizer: reg('bias_regularizer')
      })
    case 'DepthwiseConv2D':
      return L.depthwiseConv2d({
        ...common, kernelSize: c.kernel_size as [number, number], strides: c.strides as [number, number], padding: c.padding as 'valid',
        depthMultiplier: c.depth_multiplier as number, activation, useBias: c.use_bias as boolean,
        dataFormat: 'channelsLast',
        depthwiseInitializer: init('depthwise_initializer'), biasInitializer: init('bias_initializer'),
        depthwiseRegularizer: reg('depthwise_regularizer'), biasRegularizer: reg('bias_regularizer')
      })
    case 'SeparableConv2D':
      return L.separableConv2d({
        ...common, filters: c.filters as number, kernelSize: c.kernel_size as [number, number], strides: c.strides as [number, number], padding: c.padding as 'valid',
        depthMultiplier: c.depth_multiplier as number, dilationRate: c.dilation_rate as [number, number], activation, useBias: c.use_bias as boolean,
        dataFormat: 'channelsLast',
        depthwiseInitializer: init('depthwise_initializer'), pointwiseInitializer: init('pointwise_initializer'), biasInitializer: init('bias_initializer'),
        depthwiseRegularizer: reg('depthwise_regularizer'), pointwiseRegularizer: reg('pointwise_regularizer'), biasRegularizer: reg('bias_regularizer')
      })
    case 'Conv2DTranspose':
      return L.conv2dTranspose({
        ...common, filters: c.filters as number, kernelSize: c.kernel_size as [number, number], strides: c.strides as [number, number], padding: c.padding as 'valid',
        activation, useBias: c.use_bias as boolean, dataFormat: 'channelsLast',
        kernelInitializer: init('kernel_initializer'), biasInitializer: init('bias_initializer'),
        kernelRegularizer: reg('kernel_regularizer'), biasRegularizer: reg('bias_regularizer')
      })
    case 'MaxPooling1D':
    case 'AveragePooling1D': {
      const pooling = { ...common, poolSize: first(c.pool_size), strides: first((c.strides) ?? c.pool_size), padding: c.padding as 'valid' }
      return layer.class_name === 'MaxPooling1D' ? L.maxPooling1d(pooling) : L.averagePooling1d(pooling)
    }
    case 'GlobalAveragePooling1D':
      return L.globalAveragePooling1d(common)
    case 'GlobalMaxPooling1D':
      return L.globalMaxPooling1d(common)
    case 'GlobalAveragePooling2D':
      return L.globalAveragePooling2d({ ...common, dataFormat: 'channelsLast' })
    case 'GlobalMaxPooling2D':
      return L.globalMaxPooling2d({ ...common, dataFormat: 'channelsLast' })
    case 'UpSampling2D':
      return L.upSampling2d({ ...common, size: c.size as number[], interpolation: c.interpolation as 'nearest', dataFormat: 'channelsLast' })
    case 'ZeroPadding2D':
      return L.zeroPadding2d({ ...common, padding: c.padding as [[number, number], [number, number]], dataFormat: 'channelsLast' })
    case 'Cropping2D':
      return L.cropping2D({ ...common, cropping: c.cropping as [[number, number], [number, number]], dataFormat: 'channelsLast' })
    case 'Embedding':
      return L.embedding({
        ...common, inputDim: c.input_dim as number, outputDim: c.output_dim as number, maskZero: false,
        embeddingsInitializer: init('embeddings_initializer'), embeddingsRegularizer: reg('embeddings_regularizer')
      })
    case 'SimpleRNN':
    case 'LSTM':
    case 'GRU':
      return recurrentLayer(tf, layer.class_name, c, { ...common }, index, seed, '')
    case 'Bidirectional': {
      const wrapped = c.layer as { class_name: string; config: Record<string, unknown> }
      const innerName = typeof wrapped.config.name === 'string' && wrapped.config.name ? wrapped.config.name : (LAYER_CLASSES[wrapped.class_name]?.name_base ?? 'rnn')
      // tfjs builds the backward copy from the forward layer's config (same seeded initializers, go_backwards flipped).
      const inner = recurrentLayer(tf, wrapped.class_name, wrapped.config, { name: innerName, trainable: c.trainable !== false }, index, seed, 'layer.')
      return L.bidirectional({ ...common, layer: inner, mergeMode: c.merge_mode as 'concat' })
    }
    case 'LayerNormalization':
      return L.layerNormalization({
        ...common, axis: c.axis as number, epsilon: c.epsilon as number, center: c.center as boolean, scale: c.scale as boolean,
        betaInitializer: init('beta_initializer'), gammaInitializer: init('gamma_initializer'),
        betaRegularizer: reg('beta_regularizer'), gammaRegularizer: reg('gamma_regularizer')
      })
    case 'SpatialDropout1D':
      return freshMaskEachStep(L.spatialDropout1d({ ...common, rate: c.rate as number }), (c.seed as number | null) ?? derivedSeed(seed, index, 'dropout'))
    case 'SpatialDropout2D':
      // tfjs-layers has no SpatialDropout2D: a Dropout whose mask is shared over height and width (Keras's noise shape (batch, 1, 1, channels)).
      return freshMaskEachStep(L.dropout({ ...common, rate: c.rate as number, noiseShape: [null, 1, 1, outputShape[2]] as unknown as number[] }), (c.seed as number | null) ?? derivedSeed(seed, index, 'dropout'))
    case 'GaussianNoise':
      return seededGaussianNoise(tf, { ...common, stddev: c.stddev as number }, (c.seed as number | null) ?? derivedSeed(seed, index, 'noise'))
    default:
      throw new Error(`layer ${index} (${layer.class_name}) has no tfjs counterpart`)
  }
}

/**
 * Builds the spec as a tfjs model with one tfjs layer per spec layer, named as the spec names it:
 * a chain as a Sequential model (a spec InputLayer becomes model.layers[0] too), a graph as a
 * functional model (`tf.model`) whose layers are applied in topological order. Look layers up by
 * name (`model.getLayer`): a functional model's `layers` start with an InputLayer the spec may
 * not list. Throws SpecValidationError for an invalid spec.
 */
export function buildModel(tf: Tf, spec: ModelSpec, options: { seed: number }): TfjsModule.LayersModel {
  const shapes = inferShapes(spec)
  const names = layerNames(spec.layers)
  const modelName = spec.name.replace(/[^A-Za-z0-9_.-]/g, '_') || 'model'
  let model: TfjsModule.LayersModel
  if (isSequentialSpec(spec)) {
    const sequential = tf.sequential({ name: modelName })
    spec.layers.forEach((layer, position) => {
      const first = position === 0 && layer.class_name !== 'InputLayer'
      sequential.add(tfLayer(tf, layer, names[position], position + 1, options.seed, first ? [...spec.input_shape] : undefined, shapes.layers[position].output_shape))
    })
    model = sequential
  } else {
    const graph = specGraph(spec)
    const input = tf.input({ shape: [...spec.input_shape], name: inputLayerName(spec.layers, names) ?? MODEL_INPUT })
    const outputs = new Map<string, TfjsModule.SymbolicTensor>([[MODEL_INPUT, input]])
    const outputShape = new Map(shapes.layers.map((shape) => [shape.name, shape.output_shape]))
    for (const node of graph.nodes) {
      const layer = tfLayer(tf, spec.layers[node.index], node.name, node.index + 1, options.seed, undefined, outputShape.get(node.name)!)
      const inputs = node.inbound.map((name) => outputs.get(name)!)
      outputs.set(node.name, layer.apply(MERGE_CLASSES.has(node.class_name) ? inputs : inputs[0]) as TfjsModule.SymbolicTensor)
    }
    model = tf.model({ inputs: input, outputs: outputs.get(graph.output)!, name: modelName })
  }
  spec.layers.forEach((layer, position) => {
    if (!layer.weights) return
    const expected = shapes.layers.find((shape) => shape.index === position + 1)!.weights
    const tensors = layer.weights.map((values, w) => tf.tensor(values, expected[w].shape))
    model.getLayer(names[position]).setWeights(tensors)
    tf.dispose(tensors)
  })
  return model
}
