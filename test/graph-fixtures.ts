// Graph models (issue 11) for the exporter tests, shared by every format: skips and merges,
// recurrent, 1-D convolution and token models. Each is a v2 spec; build them with fixture()
// from ./export-fixtures (pass `train` so that biases and every other weight move off their
// initial values, and `tokens` for the Embedding models).
import type { LayerSpec, ModelSpec } from '../src/shared/model-spec'
import type { FixtureOptions } from './export-fixtures'

export const graphSpec = (name: string, inputShape: number[], layers: LayerSpec[]): ModelSpec => ({ format: 'model-workbench/spec', version: 2, name, input_shape: inputShape, layers })

const layer = (class_name: string, name: string, config: Record<string, unknown> = {}, inbound?: string[]): LayerSpec => ({ class_name, config: { name, ...config }, ...(inbound ? { inbound } : {}) })

/** The acceptance models of issue 11 §6: every exporter that can hold the layers must export and verify these. */
export const GRAPH_SPECS = {
  /** A residual MLP with two Add skips. */
  residualMlp: graphSpec('residual-mlp', [6], [
    layer('Dense', 'd1', { units: 8, activation: 'relu' }),
    layer('Dense', 'd2', { units: 8, activation: 'relu' }),
    layer('Add', 'add_1', {}, ['d1', 'd2']),
    layer('Dense', 'd3', { units: 8, activation: 'tanh' }),
    layer('Add', 'add_2', {}, ['add_1', 'd3']),
    layer('Dense', 'out', { units: 3, activation: 'softmax' })
  ]),
  /** A residual CNN: a stem conv, a block of two convs added to the block input, pooling, global average pooling, softmax. */
  residualCnn: graphSpec('residual-cnn', [8, 8, 2], [
    layer('Conv2D', 'stem', { filters: 4, kernel_size: [3, 3], padding: 'same', activation: 'relu' }),
    layer('Conv2D', 'block_a', { filters: 4, kernel_size: [3, 3], padding: 'same', activation: 'relu' }),
    layer('Conv2D', 'block_b', { filters: 4, kernel_size: [3, 3], padding: 'same' }),
    layer('Add', 'skip', {}, ['stem', 'block_b']),
    layer('Activation', 'skip_relu', { activation: 'relu' }),
    layer('MaxPooling2D', 'pool', { pool_size: [2, 2] }),
    layer('GlobalAveragePooling2D', 'gap'),
    layer('Dense', 'out', { units: 3, activation: 'softmax' })
  ]),
  /** Two branches from the input concatenated on the feature axis. */
  concat: graphSpec('concat', [6], [
    layer('Dense', 'wide', { units: 5, activation: 'relu' }, ['input']),
    layer('Dense', 'narrow', { units: 3, activation: 'tanh' }, ['input']),
    layer('Concatenate', 'joined', { axis: -1 }, ['wide', 'narrow']),
    layer('Dense', 'out', { units: 2, activation: 'softmax' })
  ]),
  /** An LSTM over (timesteps, features), its last state into a softmax. */
  lstm: graphSpec('lstm', [7, 3], [
    layer('LSTM', 'lstm', { units: 5 }),
    layer('Dense', 'out', { units: 3, activation: 'softmax' })
  ]),
  /** A GRU (reset_after false, as tfjs builds it) into a regression output. */
  gru: graphSpec('gru', [7, 3], [
    layer('GRU', 'gru', { units: 4 }),
    layer('Dense', 'out', { units: 1 })
  ]),
  /** 1-D convolutions along time with pooling. */
  conv1d: graphSpec('conv1d', [12, 3], [
    layer('Conv1D', 'c1', { filters: 4, kernel_size: [3], padding: 'same', activation: 'relu' }),
    layer('MaxPooling1D', 'p1', { pool_size: [2] }),
    layer('Conv1D', 'c2', { filters: 5, kernel_size: [2], strides: [2], padding: 'valid' }),
    layer('GlobalAveragePooling1D', 'gap'),
    layer('Dense', 'out', { units: 2, activation: 'softmax' })
  ])
} satisfies Record<string, ModelSpec>

/** How to build each graph fixture (a few training steps each; token ids for Embedding models). */
export const GRAPH_OPTIONS: Record<string, FixtureOptions> = {
  residualMlp: { train: 3 },
  residualCnn: { train: 2, scaling: 'divide255' },
  concat: { train: 3 },
  lstm: { train: 3 },
  gru: { train: 3 },
  conv1d: { train: 3 }
}

/** More graphs and layer families: every merge class, stacked/bidirectional recurrent layers over embeddings, convolution variants, resizing, padding, cropping, normalisation and the inference-time identities. */
export const MORE_GRAPH_SPECS = {
  /** Every merge layer: Subtract, Multiply, Average, Maximum, Minimum, a three-way Add. */
  merges: graphSpec('merges', [5], [
    layer('Dense', 'a', { units: 4, activation: 'tanh' }, ['input']),
    layer('Dense', 'b', { units: 4, activation: 'sigmoid' }, ['input']),
    layer('Dense', 'c', { units: 4 }, ['input']),
    layer('Subtract', 'sub', {}, ['a', 'b']),
    layer('Multiply', 'mul', {}, ['b', 'c', 'a']),
    layer('Average', 'avg', {}, ['a', 'c']),
    layer('Maximum', 'max', {}, ['sub', 'mul']),
    layer('Minimum', 'min', {}, ['avg', 'c', 'b']),
    layer('Add', 'sum', {}, ['max', 'min', 'sub']),
    layer('Dense', 'out', { units: 2 })
  ]),
  /** Concatenation of two conv branches on the channel axis and on the height axis, then a conv on the joined maps. */
  concatConv: graphSpec('concat-conv', [6, 6, 2], [
    layer('Conv2D', 'left', { filters: 3, kernel_size: [3, 3], padding: 'same', activation: 'relu' }, ['input']),
    layer('Conv2D', 'right', { filters: 2, kernel_size: [1, 1] }, ['input']),
    layer('Concatenate', 'channels', { axis: -1 }, ['left', 'right']),
    layer('Conv2D', 'mix', { filters: 3, kernel_size: [2, 2], padding: 'valid' }),
    layer('Conv2D', 'mix_b', { filters: 3, kernel_size: [2, 2], padding: 'valid' }, ['left']),
    layer('Concatenate', 'rows', { axis: 1 }, ['mix', 'mix_b']),
    layer('Flatten', 'flat'),
    layer('Dense', 'out', { units: 3, activation: 'softmax' })
  ]),
  /** Tokens → Embedding → stacked LSTMs (sequences, then last state) with SpatialDropout1D between. */
  embeddingLstm: graphSpec('embedding-lstm', [9], [
    layer('Embedding', 'embed', { input_dim: 12, output_dim: 4 }),
    layer('SpatialDropout1D', 'sdrop', { rate: 0.2 }),
    layer('LSTM', 'lstm_seq', { units: 4, return_sequences: true }),
    layer('LSTM', 'lstm_last', { units: 3, recurrent_activation: 'hard_sigmoid' }),
    layer('Dense', 'out', { units: 2, activation: 'softmax' })
  ]),
  /** Bidirectional LSTM (sequences, concat), Bidirectional GRU (last states, sum) and a SimpleRNN with relu, merged. */
  bidirectional: graphSpec('bidirectional', [6, 3], [
    layer('Bidirectional', 'bi_lstm', { layer: { class_name: 'LSTM', config: { units: 3, return_sequences: true } }, merge_mode: 'concat' }),
    layer('Bidirectional', 'bi_gru', { layer: { class_name: 'GRU', config: { units: 4 } }, merge_mode: 'sum' }),
    layer('Bidirectional', 'bi_rnn', { layer: { class_name: 'SimpleRNN', config: { units: 4, activation: 'relu' } }, merge_mode: 'ave' }, ['bi_lstm']),
    layer('Bidirectional', 'bi_mul', { layer: { class_name: 'GRU', config: { units: 4, return_sequences: true } }, merge_mode: 'mul' }, ['input']),
    layer('GlobalMaxPooling1D', 'seq_max', {}, ['bi_mul']),
    layer('SimpleRNN', 'rnn', { units: 4, activation: 'tanh' }, ['input']),
    layer('Add', 'joined', {}, ['bi_gru', 'bi_rnn', 'rnn', 'seq_max']),
    layer('Dense', 'out', { units: 1, activation: 'sigmoid' })
  ]),
  /** The other activations ONNX's recurrent ops take: GRU elu/softplus without bias, LSTM relu/softsign with sequences, SimpleRNN elu. */
  recurrentActivations: graphSpec('recurrent-activations', [5, 2], [
    layer('GRU', 'gru', { units: 3, activation: 'elu', recurrent_activation: 'softplus', use_bias: false }, ['input']),
    layer('LSTM', 'lstm', { units: 3, activation: 'relu', recurrent_activation: 'softsign', return_sequences: true }, ['input']),
    layer('SimpleRNN', 'rnn', { units: 3, activation: 'elu' }),
    layer('Concatenate', 'joined', {}, ['gru', 'rnn']),
    layer('Dense', 'out', { units: 2 })
  ]),
  /** Conv1D into a GRU with sequences, 'same' average pooling, global max pooling. */
  conv1dGru: graphSpec('conv1d-gru', [10, 2], [
    layer('Conv1D', 'c1', { filters: 3, kernel_size: [3], padding: 'valid', activation: 'elu' }),
    layer('AveragePooling1D', 'p1', { pool_size: [2], strides: [1], padding: 'same' }),
    layer('GRU', 'gru', { units: 3, return_sequences: true }),
    layer('GlobalMaxPooling1D', 'gmp'),
    layer('Dense', 'out', { units: 1 })
  ]),
  /** Depthwise, separable and transposed convolutions with 'same' and 'valid' padding, upsampling both ways, zero padding, cropping. */
  convFamily: graphSpec('conv-family', [7, 6, 2], [
    layer('DepthwiseConv2D', 'dw', { kernel_size: [3, 3], depth_multiplier: 2, padding: 'same', activation: 'relu' }),
    layer('SeparableConv2D', 'sep', { filters: 3, kernel_size: [3, 2], strides: [2, 2], padding: 'same', depth_multiplier: 2 }),
    layer('Conv2DTranspose', 'up_same', { filters: 3, kernel_size: [3, 3], strides: [2, 2], padding: 'same', activation: 'tanh' }),
    layer('ZeroPadding2D', 'pad', { padding: [[1, 0], [2, 1]] }),
    layer('Cropping2D', 'crop', { cropping: [[0, 2], [1, 1]] }),
    layer('UpSampling2D', 'up_nearest', { size: [2, 1], interpolation: 'nearest' }),
    layer('Conv2DTranspose', 'up_valid', { filters: 2, kernel_size: [2, 3], strides: [3, 2], padding: 'valid' }),
    layer('SeparableConv2D', 'sep_valid', { filters: 2, kernel_size: [3, 3], padding: 'valid', activation: 'relu' }),
    layer('GlobalMaxPooling2D', 'gmp'),
    layer('Dense', 'out', { units: 2 })
  ]),
  /** Dilated 1-D and 2-D convolutions (tfjs cannot train these: no dilated conv gradients; built untrained). tfjs-layers 4.22's DepthwiseConv2D ignores dilation_rate, so it has none here. */
  dilated1d: graphSpec('dilated-1d', [10, 2], [
    layer('Conv1D', 'c1', { filters: 3, kernel_size: [3], padding: 'same', dilation_rate: [2], activation: 'relu' }),
    layer('Conv1D', 'c2', { filters: 2, kernel_size: [2], padding: 'valid', dilation_rate: [3] }),
    layer('Flatten', 'flat'),
    layer('Dense', 'out', { units: 2 })
  ]),
  dilated2d: graphSpec('dilated-2d', [7, 7, 2], [
    layer('SeparableConv2D', 'sep', { filters: 3, kernel_size: [3, 3], dilation_rate: [2, 2], padding: 'valid' }),
    layer('DepthwiseConv2D', 'dw', { kernel_size: [2, 2], strides: [2, 1], padding: 'same', activation: 'relu' }),
    layer('Flatten', 'flat'),
    layer('Dense', 'out', { units: 2 })
  ]),
  /** Bilinear upsampling of a non-square map, a 'same' transposed convolution with kernels smaller than its strides (built untrained: tfjs 4.22's ResizeBilinear gradient fails when height ≠ width). */
  bilinear: graphSpec('bilinear', [3, 4, 2], [
    layer('Conv2D', 'conv', { filters: 2, kernel_size: [1, 1] }),
    layer('UpSampling2D', 'up', { size: [2, 3], interpolation: 'bilinear' }),
    layer('Conv2D', 'conv_b', { filters: 2, kernel_size: [2, 2], strides: [2, 2] }),
    layer('Conv2DTranspose', 'deconv', { filters: 2, kernel_size: [1, 2], strides: [2, 3], padding: 'same' }),
    layer('UpSampling2D', 'up_b', { size: [3, 2], interpolation: 'bilinear' }),
    layer('Flatten', 'flat'),
    layer('Dense', 'out', { units: 2 })
  ]),
  /** LayerNormalization on (features), on (h, w, channels) over the channels and over the height axis (gamma and beta); SpatialDropout2D, GaussianNoise and Dropout as identities. */
  normalization: graphSpec('normalization', [5, 4, 3], [
    layer('GaussianNoise', 'noise', { stddev: 0.3 }),
    layer('Conv2D', 'conv', { filters: 4, kernel_size: [2, 2], padding: 'same' }),
    layer('LayerNormalization', 'ln_channels', { epsilon: 0.01 }),
    layer('SpatialDropout2D', 'sdrop', { rate: 0.3 }),
    layer('LayerNormalization', 'ln_height', { axis: 1 }),
    layer('Flatten', 'flat'),
    layer('Dropout', 'drop', { rate: 0.5 }),
    layer('Dense', 'd', { units: 6 }),
    layer('LayerNormalization', 'ln_features'),
    layer('Dense', 'out', { units: 3, activation: 'softmax' })
  ]),
  /** LayerNormalization without beta, without gamma, without both (built untrained: tfjs 4.22 cannot take gradients of a LayerNormalization without center or scale). */
  normalizationPartial: graphSpec('normalization-partial', [4, 3], [
    layer('LayerNormalization', 'ln_no_beta', { axis: 1, center: false }),
    layer('Dense', 'd', { units: 5 }),
    layer('LayerNormalization', 'ln_no_gamma', { scale: false, epsilon: 0.1 }),
    layer('LayerNormalization', 'ln_bare', { center: false, scale: false }),
    layer('Flatten', 'flat'),
    layer('Dense', 'out', { units: 2 })
  ])
} satisfies Record<string, ModelSpec>

export const MORE_GRAPH_OPTIONS: Record<string, FixtureOptions> = {
  merges: { train: 3 },
  concatConv: { train: 2 },
  embeddingLstm: { train: 3, tokens: 12 },
  bidirectional: { train: 2 },
  recurrentActivations: { train: 3 },
  conv1dGru: { train: 3 },
  convFamily: { train: 2 },
  dilated1d: {},
  dilated2d: {},
  bilinear: {},
  normalization: { train: 3 },
  normalizationPartial: {}
}
