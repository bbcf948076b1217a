// The PyTorch export: every fixture model written, reloaded by the folder's own model.py in
// python3 + torch (load_state_dict(strict=True)) and compared with the app's predictions on raw
// rows; the safetensors file read by an independent reader (Python's struct/json); refusals.
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { pytorchExporter } from '../src/main/export/formats/pytorch'
import { decodeSafetensors, encodeSafetensors } from '../src/main/export/helpers/safetensors'
import { preprocessPy } from '../src/main/export/helpers/preprocess-py'
import * as tf from '@tensorflow/tfjs'
import { LAYOUT_METADATA_KEY, kerasWeightsFromState, modelPy, planTorchModule, samePadding, toKerasLayout, toTorchLayout, transposedConvAxis, type TorchLayout } from '../src/main/export/helpers/torch-module'
import { ExportRefusal, PARITY_TOLERANCE, maxAbsDiff, type ExportModel, type Preprocessing } from '../src/main/export/types'
import { ACTIVATIONS } from '../src/shared/model-spec/registry'
import { FIXTURE_SPECS, fixture, spec, type Fixture } from './export-fixtures'
import { GRAPH_OPTIONS, GRAPH_SPECS, MORE_GRAPH_OPTIONS, MORE_GRAPH_SPECS } from './graph-fixtures'

const PYTHON = '/usr/bin/python3'
function pythonHas(module: string): boolean {
  if (!existsSync(PYTHON)) return false
  try {
    execFileSync(PYTHON, ['-c', `import ${module}`], { stdio: 'ignore', env: { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1' } })
    return true
  } catch {
    return false
  }
}
const HAS_TORCH = pythonHas('torch')
if (!HAS_TORCH) console.warn('export-pytorch: SKIPPING the torch parity tests: /usr/bin/python3 has no torch (apt-get install python3-torch)')
const withTorch = HAS_TORCH ? it : it.skip

const folders: string[] = []
async function freshDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'export-pytorch-'))
  folders.push(dir)
  return dir
}
afterAll(async () => {
  await Promise.all(folders.map((dir) => rm(dir, { recursive: true, force: true })))
})

/** Extra shapes: every registry activation in a row; strided 'same' convolution, 'same' pooling, Reshape, image BatchNormalization. */
const EXTRA_SPECS = {
  activations: spec('activations', [6], [
    { class_name: 'Dense', config: { units: 6 } },
    ...ACTIVATIONS.map((activation) => ({ class_name: 'Activation', config: { activation } }))
  ]),
  convSame: spec('conv-same', [7, 7, 2], [
    { class_name: 'Conv2D', config: { filters: 3, kernel_size: [3, 2], strides: [2, 2], padding: 'same', activation: 'elu' } },
    { class_name: 'BatchNormalization', config: { axis: -1 } },
    { class_name: 'AveragePooling2D', config: { pool_size: [3, 3], strides: [1, 1], padding: 'same' } },
    { class_name: 'MaxPooling2D', config: { pool_size: [3, 3], strides: [2, 2], padding: 'same' } },
    { class_name: 'Reshape', config: { target_shape: [2, 6] } },
    { class_name: 'Dense', config: { units: 3, activation: 'softmax' } },
    { class_name: 'Flatten', config: {} },
    { class_name: 'Dense', config: { units: 2, activation: 'softplus' } }
  ])
}

const PARITY_CASES: Array<[string, Parameters<typeof fixture>[0], 'standard' | 'divide255']> = [
  ...Object.entries(FIXTURE_SPECS).map(([name, s]): [string, typeof s, 'standard' | 'divide255'] => [name, s, s.input_shape.length === 3 ? 'divide255' : 'standard']),
  ['activations', EXTRA_SPECS.activations, 'standard'],
  ['convSame', EXTRA_SPECS.convSame, 'divide255'],
  // Names that are not Python identifiers, clash with nn.Module attributes or with each other once sanitised; a model name that would break a docstring.
  ['oddNames', spec('odd \\N """ name\nnext line', [3], [
    { class_name: 'Dense', config: { units: 2, name: 'forward', activation: 'selu' } },
    { class_name: 'Dense', config: { units: 2, name: 'x-y', activation: 'hard_sigmoid' } },
    { class_name: 'Dense', config: { units: 2, name: 'x_y' } },
    { class_name: 'Dense', config: { units: 1, name: '2nd', activation: 'softsign' } }
  ]), 'standard']
]

describe('pytorch export', () => {
  it('maps Keras kernels to torch layouts and back', () => {
    const dense = { keras: 'kernel', keras_shape: [2, 3], key: 'd.weight', torch_shape: [3, 2], transform: 'dense' as const }
    const data = Float32Array.from([1, 2, 3, 4, 5, 6]) // [[1,2,3],[4,5,6]] (in=2, out=3)
    expect(Array.from(toTorchLayout(dense, data))).toEqual([1, 4, 2, 5, 3, 6])
    expect(Array.from(toKerasLayout(dense, toTorchLayout(dense, data)))).toEqual(Array.from(data))
    const conv = { keras: 'kernel', keras_shape: [2, 2, 2, 3], key: 'c.weight', torch_shape: [3, 2, 2, 2], transform: 'conv2d' as const }
    const kernel = Float32Array.from({ length: 24 }, (_, i) => i)
    const torch = toTorchLayout(conv, kernel)
    // torch[o][i][y][x] = keras[y][x][i][o]: o=2, i=1, y=1, x=0 → keras index ((1*2+0)*2+1)*3+2 = 17
    expect(torch[((2 * 2 + 1) * 2 + 1) * 2 + 0]).toBe(17)
    expect(Array.from(toKerasLayout(conv, torch))).toEqual(Array.from(kernel))
  })

  it("pads like TensorFlow's 'same' (the extra cell after, for stride 2 on even sizes)", () => {
    expect(samePadding(8, 3, 1)).toEqual([1, 1])
    expect(samePadding(8, 3, 2)).toEqual([0, 1])
    expect(samePadding(7, 3, 2)).toEqual([1, 1])
    expect(samePadding(7, 2, 2)).toEqual([0, 1])
    expect(samePadding(5, 3, 1, 2)).toEqual([2, 2])
  })

  it('writes and reads safetensors (8-byte header length, padded JSON header, contiguous data)', () => {
    const bytes = encodeSafetensors([{ name: 'a', shape: [2], data: Float32Array.from([1.5, -2]) }, { name: 'b.weight', shape: [1, 3], data: Float32Array.from([3, 4, 5]) }], { format: 'pt' })
    const length = Number(new DataView(bytes.buffer).getBigUint64(0, true))
    expect(length % 8).toBe(0)
    expect(bytes.length).toBe(8 + length + 20)
    const file = decodeSafetensors(bytes)
    expect(file.order).toEqual(['a', 'b.weight'])
    expect(Array.from(file.tensors.get('b.weight')!.data)).toEqual([3, 4, 5])
    expect(file.metadata).toEqual({ format: 'pt' })
  })

  for (const [name, s, scaling] of PARITY_CASES) {
    withTorch(`${name}: model.py + model.safetensors predict like the app on raw rows`, async () => {
      const f = await fixture(s, { scaling, rows: 12 })
      try {
        const dir = await freshDir()
        const files = await pytorchExporter.write(f.model, dir)
        expect(files).toEqual(expect.arrayContaining(['model.py', 'model.safetensors', 'preprocessing.json', 'preprocess.py', 'README.md']))
        const result = await pytorchExporter.verify!(f.model, dir, f.sample)
        expect(result.note).toBeNull()
        expect(result.verified_by).toMatch(/^torch 1\.\d+|^torch \d/)
        expect(result.rows).toBe(12)
        expect(result.max_abs_diff).not.toBeNull()
        expect(result.max_abs_diff!).toBeLessThan(PARITY_TOLERANCE)
        console.log(`pytorch parity ${name}: max |Δ| = ${result.max_abs_diff!.toExponential(2)} (${result.verified_by})`)
      } finally {
        f.dispose()
      }
    }, 60_000)
  }

  withTorch('the weights file is read by an independent reader (struct + json) and loads strictly into the module', async () => {
    const f = await fixture(FIXTURE_SPECS.cnn, { scaling: 'divide255' })
    try {
      const dir = await freshDir()
      await pytorchExporter.write(f.model, dir)
      const script = `
import json, struct, sys, importlib.util, os
path = os.path.join(sys.argv[1], 'model.safetensors')
data = open(path, 'rb').read()
(n,) = struct.unpack('<Q', data[:8])
header = json.loads(data[8:8 + n])
meta = header.pop('__metadata__')
out = {'meta': meta, 'tensors': {}}
end = 0
for name, info in sorted(header.items(), key=lambda kv: kv[1]['data_offsets'][0]):
    s, e = info['data_offsets']
    assert s == end, 'gap before ' + name
    end = e
    count = 1
    for d in info['shape']:
        count *= d
    assert e - s == 4 * count and info['dtype'] == 'F32'
    values = struct.unpack('<%df' % count, data[8 + n + s:8 + n + e])
    out['tensors'][name] = {'shape': info['shape'], 'first': list(values[:4])}
assert 8 + n + end == len(data), 'trailing bytes'
spec = importlib.util.spec_from_file_location('m', os.path.join(sys.argv[1], 'model.py'))
m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)
module = m.Model()
out['state_keys'] = sorted(module.state_dict().keys())
tensors, _ = m.read_safetensors(path)
del tensors[next(iter(tensors))]
try:
    module.load_state_dict(tensors, strict=True)
    out['strict'] = 'accepted a missing key'
except RuntimeError as error:
    out['strict'] = 'refused'
loaded = m.load_model(sys.argv[1])
out['training'] = loaded.training
print(json.dumps(out))
`
      const text = execFileSync(PYTHON, ['-c', script, dir], { env: { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1' } }).toString()
      const parsed = JSON.parse(text.trim().split('\n').pop()!) as { meta: Record<string, string>; tensors: Record<string, { shape: number[]; first: number[] }>; state_keys: string[]; strict: string; training: boolean }
      expect(parsed.strict).toBe('refused')
      expect(parsed.training).toBe(false)
      expect(parsed.state_keys).toEqual(Object.keys(parsed.tensors).sort())
      const conv = f.model.layers.find((l) => l.class_name === 'Conv2D')!
      const kernel = conv.weights.find((w) => w.name === 'kernel')!
      const [kh, kw, inputs, filters] = kernel.shape as [number, number, number, number]
      expect(parsed.tensors['conv2d_1.weight'].shape).toEqual([filters, inputs, kh, kw])
      // torch [o=0][i=0][y=0][x=1] is Keras [y=0][x=1][i=0][o=0].
      expect(parsed.tensors['conv2d_1.weight'].first[1]).toBeCloseTo(kernel.data[1 * inputs * filters], 6)
      const dense = f.model.layers.find((l) => l.class_name === 'Dense')!
      const dk = dense.weights.find((w) => w.name === 'kernel')!
      expect(parsed.tensors['dense_1.weight'].shape).toEqual([dk.shape[1], dk.shape[0]])
      expect(parsed.tensors['dense_1.weight'].first[1]).toBeCloseTo(dk.data[dk.shape[1]], 6)
      expect(parsed.tensors.input_scale.first[0]).toBeCloseTo(1 / 255, 8)
      // The layout in the metadata maps the file back to the Keras weights exactly.
      const file = decodeSafetensors(await readFile(join(dir, 'model.safetensors')))
      const layout = JSON.parse(parsed.meta[LAYOUT_METADATA_KEY]) as TorchLayout
      const back = kerasWeightsFromState(layout, file.tensors)
      for (const layer of f.model.layers) {
        const weights = back.get(layer.index)!
        expect(weights.map((w) => w.name)).toEqual(layer.weights.map((w) => w.name))
        weights.forEach((w, i) => expect(Array.from(w.data)).toEqual(Array.from(layer.weights[i].data)))
      }
    } finally {
      f.dispose()
    }
  }, 60_000)

  it('refuses a layer it cannot express, naming the layer and the format', async () => {
    const f = await fixture(FIXTURE_SPECS.table, { scaling: 'standard' })
    try {
      const model: ExportModel = { ...f.model, layers: f.model.layers.map((l, i) => (i === 1 ? { ...l, class_name: 'QuantumEntangler', name: 'qe_1' } : l)) }
      expect(pytorchExporter.supports(model.layers[1])).toBe(false)
      const dir = await freshDir()
      const error = await pytorchExporter.write(model, dir).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(ExportRefusal)
      expect((error as ExportRefusal).format).toBe('pytorch')
      expect((error as ExportRefusal).layer).toEqual({ index: 1, class_name: 'QuantumEntangler', name: 'qe_1' })
      expect((error as Error).message).toMatch(/layer 2 "qe_1" \(QuantumEntangler\)/)
      const gelu: ExportModel = { ...f.model, layers: f.model.layers.map((l, i) => (i === 1 ? { ...l, config: { ...l.config, activation: 'gelu' } } : l)) }
      expect(pytorchExporter.supports(gelu.layers[1])).toBe(false)
      await expect(pytorchExporter.write(gelu, await freshDir())).rejects.toThrow(/activation "gelu"/)
    } finally {
      f.dispose()
    }
  })

  const pythonIt = existsSync(PYTHON) ? it : it.skip
  pythonIt('preprocess.py turns raw records into features: numeric with fill, categorical one-hot, labels back', () => {
    const pre: Preprocessing = {
      format: 'model-workbench/preprocessing', version: 1, kind: 'table', input_shape: [4],
      columns: [
        { name: 'age', kind: 'numeric', feature_index: 0, fill: 41.5 },
        { name: 'colour', kind: 'categorical', categories: ['blue', 'red', 'x"y'], feature_indices: [1, 2, 3] }
      ],
      feature_names: ['age', 'colour=blue', 'colour=red', 'colour=x"y'], missing: 'fill',
      scaling: { method: 'standard', offset: [40, 0, 0, 0], scale: [0.5, 1, 1, 1] }, scaling_in_model: true, image: null,
      output: { task: 'multiclass', kind: 'probabilities', size: 3, class_names: ['a', 'b', 'c'], threshold: null }
    }
    const script = `${preprocessPy(pre)}
print(json.dumps([encode_records([{'age': '44', 'colour': 'red'}, {'age': '', 'colour': 'x"y'}]), encode_record({'age': 44, 'colour': 'blue'}, apply_scaling=True), decode_outputs([[0.1, 0.7, 0.2]])]))
try:
    encode_record({'age': 1, 'colour': 'green'})
except PreprocessError as e:
    print(str(e))
`
    const lines = execFileSync(PYTHON, ['-c', script.replace("if __name__ == '__main__':", 'if False:')]).toString().trim().split('\n')
    expect(JSON.parse(lines[0])).toEqual([[[44, 0, 1, 0], [41.5, 0, 0, 1]], [2, 1, 0, 0], ['b']])
    expect(lines[1]).toMatch(/'green' is not one of its categories/)
  })
})

/** Every graph fixture: the acceptance models of issue 11, then every merge class and the new layer families. */
const GRAPH_CASES: Array<[string, Parameters<typeof fixture>[0], Parameters<typeof fixture>[1]]> = [
  ...Object.entries(GRAPH_SPECS).map(([name, s]): [string, typeof s, Parameters<typeof fixture>[1]] => [name, s, GRAPH_OPTIONS[name] ?? {}]),
  ...Object.entries(MORE_GRAPH_SPECS).map(([name, s]): [string, typeof s, Parameters<typeof fixture>[1]] => [name, s, MORE_GRAPH_OPTIONS[name] ?? {}])
]

const PREDICT_MANY = `
import importlib.util, json, os, sys
import torch
torch.set_num_threads(1)
jobs = json.loads(sys.argv[1])
out = []
for n, job in enumerate(jobs):
    spec = importlib.util.spec_from_file_location('workbench_export_model_%d' % n, os.path.join(job['dir'], 'model.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    model = module.load_model(job['dir'])
    with open(job['raw'], 'rb') as f:
        x = torch.frombuffer(bytearray(f.read()), dtype=torch.float32).reshape(job['rows'], job['features'])
    with torch.no_grad():
        y = model(x)
    with open(job['out'], 'wb') as f:
        f.write(y.to(torch.float32).contiguous().reshape(-1).numpy().astype('<f4').tobytes())
    out.append({'shape': list(y.shape), 'training': model.training})
print(json.dumps(out))
`

function f32le(values: Float32Array): Buffer {
  const out = Buffer.alloc(values.length * 4)
  values.forEach((v, i) => out.writeFloatLE(v, 4 * i))
  return out
}

describe('pytorch export of graph models and the new layer families', () => {
  const built = new Map<string, Fixture>()
  const get = async (name: string): Promise<Fixture> => {
    if (!built.has(name)) {
      const [, s, options] = GRAPH_CASES.find(([n]) => n === name)!
      built.set(name, await fixture(s, { rows: 12, ...options }))
    }
    return built.get(name)!
  }
  afterAll(() => built.forEach((f) => f.dispose()))

  it('forward() follows the graph: one attribute per layer, values named after the layers, merges as torch ops', async () => {
    const mlp = await get('residualMlp')
    const text = modelPy(mlp.model, planTorchModule(mlp.model, 'pytorch'))
    for (const line of ['self.d1 = nn.Linear(6, 8, bias=True)', 'd1 = self.d1(x)', 'd2 = self.d2(d1)', 'add_1 = d1 + d2', 'd3 = self.d3(add_1)', 'add_2 = add_1 + d3', 'out = self.out(add_2)', 'return out']) expect(text).toContain(line)
    const concat = await get('concat')
    expect(modelPy(concat.model, planTorchModule(concat.model, 'pytorch'))).toContain('joined = torch.cat([wide, narrow], dim=1)')
    // The residual block adds two channels-first values without permuting either; the pooled map is reduced over (H, W) as NCHW.
    const cnn = await get('residualCnn')
    const cnnText = modelPy(cnn.model, planTorchModule(cnn.model, 'pytorch'))
    expect(cnnText).toContain('skip = stem + block_b')
    expect(cnnText).toContain('gap = pool.mean(dim=(2, 3))')
    expect(cnnText.match(/\.permute\(/g)?.length).toBe(1)
    // Concatenating channels-first maps on the channel axis and on the height axis maps the Keras axis.
    const concatConv = await get('concatConv')
    const ccText = modelPy(concatConv.model, planTorchModule(concatConv.model, 'pytorch'))
    expect(ccText).toContain('channels = torch.cat([left, right], dim=1)')
    expect(ccText).toContain('rows = torch.cat([mix, mix_b], dim=2)')
  })

  it('maps every weight to the state_dict and back exactly (Bidirectional by position, LSTM bias in bias_ih with a zero bias_hh)', async () => {
    const { stateTensors } = await import('../src/main/export/helpers/torch-module')
    for (const [name] of GRAPH_CASES) {
      const f = await get(name)
      const plan = planTorchModule(f.model, 'pytorch')
      const state = stateTensors(f.model, plan, 'pytorch')
      const back = kerasWeightsFromState(plan.layout, new Map(state.map((t) => [t.name, t])))
      for (const layer of f.model.layers) {
        const weights = back.get(layer.index) ?? []
        expect(weights.map((w) => w.name), `${name} ${layer.name}`).toEqual(layer.weights.map((w) => w.name))
        weights.forEach((w, i) => expect(maxAbsDiff(w.data, layer.weights[i].data), `${name} ${layer.name} ${w.name}`).toBe(0))
      }
      if (name === 'bidirectional') {
        const keys = state.map((t) => t.name)
        expect(keys).toEqual(expect.arrayContaining(['bi_lstm.weight_ih_l0', 'bi_lstm.weight_ih_l0_reverse', 'bi_lstm.bias_hh_l0_reverse', 'bi_gru.weight_hh_l0_reverse', 'rnn.bias_hh_l0']))
        expect(Array.from(state.find((t) => t.name === 'bi_lstm.bias_hh_l0')!.data).every((v) => v === 0)).toBe(true)
        // The backward LSTM's kernel is the second "kernel" of the layer, transposed to (4 units, features).
        const bi = f.model.layers.find((l) => l.name === 'bi_lstm')!
        const reverse = state.find((t) => t.name === 'bi_lstm.weight_ih_l0_reverse')!
        expect(reverse.shape).toEqual([12, 3])
        expect(reverse.data[1 * 3 + 2]).toBe(bi.weights[3].data[2 * 12 + 1])
      }
    }
  }, 120_000)

  it("sizes a transposed convolution's output as tfjs does (output_padding and crop)", async () => {
    await tf.setBackend('cpu')
    for (const padding of ['same', 'valid'] as const) {
      for (let kernel = 1; kernel <= 4; kernel++) {
        for (let stride = 1; stride <= 3; stride++) {
          for (const size of [3, 4]) {
            const layer = tf.layers.conv2dTranspose({ filters: 1, kernelSize: [kernel, 1], strides: [stride, 1], padding })
            const shape = layer.computeOutputShape([null, size, 1, 1]) as number[]
            const axis = transposedConvAxis(size, kernel, stride, padding)
            expect(axis.out, `${padding} k${kernel} s${stride} n${size}`).toBe(shape[1])
            // torch: (size − 1)·stride + kernel + output_padding cells, then `crop` cut off the start must leave `out`.
            expect((size - 1) * stride + kernel + axis.output_padding - axis.crop, `${padding} k${kernel} s${stride} n${size}`).toBeGreaterThanOrEqual(axis.out)
            expect(axis.output_padding).toBeLessThan(stride)
          }
        }
      }
    }
  })

  it('refuses what it cannot reproduce, naming the layer: recurrent dropout in a training job', async () => {
    const f = await get('lstm')
    const lstm = f.model.layers.find((l) => l.class_name === 'LSTM')!
    const model: ExportModel = { ...f.model, layers: f.model.layers.map((l) => (l === lstm ? { ...l, config: { ...l.config, recurrent_dropout: 0.2 } } : l)) }
    expect(() => planTorchModule(model, 'torch_job')).toThrow(/layer 1 "lstm" \(LSTM\): its recurrent dropout/)
    // The model-only export is for inference, where recurrent dropout is the identity.
    expect(() => planTorchModule(model, 'pytorch')).not.toThrow()
  })

  withTorch('every graph model predicts like the app in python3 + torch (one process for all)', async () => {
    const jobs: Array<{ name: string; dir: string; raw: string; out: string; rows: number; features: number; expected: Float32Array }> = []
    for (const [name] of GRAPH_CASES) {
      const f = await get(name)
      const dir = await freshDir()
      await pytorchExporter.write(f.model, dir)
      const raw = join(dir, 'raw.f32')
      await writeFile(raw, f32le(f.sample.raw))
      jobs.push({ name, dir, raw, out: join(dir, 'out.f32'), rows: f.sample.rows, features: f.sample.features, expected: f.sample.expected })
    }
    const text = execFileSync(PYTHON, ['-c', PREDICT_MANY, JSON.stringify(jobs.map(({ dir, raw, out, rows, features }) => ({ dir, raw, out, rows, features })))], { env: { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1' }, timeout: 120_000 }).toString()
    const info = JSON.parse(text.trim().split('\n').pop()!) as Array<{ shape: number[]; training: boolean }>
    const report: string[] = []
    for (const [i, job] of jobs.entries()) {
      const bytes = await readFile(job.out)
      const got = Float32Array.from({ length: bytes.length / 4 }, (_, k) => bytes.readFloatLE(4 * k))
      const allowed = PARITY_TOLERANCE * job.expected.reduce((m, v) => Math.max(m, Math.abs(v)), 1)
      const diff = maxAbsDiff(got, job.expected)
      report.push(`${job.name} ${diff.toExponential(2)}`)
      expect(info[i].training, job.name).toBe(false)
      expect(got.length, job.name).toBe(job.expected.length)
      expect(diff, job.name).toBeLessThan(allowed)
    }
    console.log(`pytorch parity (graphs, max |Δ| over 12 raw rows): ${report.join(', ')}`)
  }, 240_000)

  withTorch("the residual CNN through the exporter's own verify", async () => {
    const f = await get('residualCnn')
    const dir = await freshDir()
    await pytorchExporter.write(f.model, dir)
    const result = await pytorchExporter.verify!(f.model, dir, f.sample)
    expect(result.note).toBeNull()
    expect(result.max_abs_diff!).toBeLessThan(PARITY_TOLERANCE)
  }, 60_000)

  withTorch("bilinear upsampling is tfjs's (align_corners=False, half_pixel_centers=False), which no F.interpolate mode is", async () => {
    await tf.setBackend('cpu')
    const x = tf.randomUniform([1, 3, 4, 2], -1, 1, 'float32', 5)
    const expected = tf.image.resizeBilinear(x as tf.Tensor4D, [6, 12]).dataSync() as Float32Array
    const values = Array.from(x.dataSync())
    x.dispose()
    const f = await get('bilinear')
    const dir = await freshDir()
    await pytorchExporter.write(f.model, dir)
    const script = `
import importlib.util, json, os, sys
import torch
import torch.nn.functional as F
spec = importlib.util.spec_from_file_location('m', os.path.join(sys.argv[1], 'model.py'))
m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)
x = torch.tensor(json.loads(sys.argv[2]), dtype=torch.float32).reshape(1, 3, 4, 2).permute(0, 3, 1, 2)
ours = m._resize_bilinear(x, 6, 12).permute(0, 2, 3, 1).reshape(-1).tolist()
half = F.interpolate(x, size=(6, 12), mode='bilinear', align_corners=False).permute(0, 2, 3, 1).reshape(-1).tolist()
corners = F.interpolate(x, size=(6, 12), mode='bilinear', align_corners=True).permute(0, 2, 3, 1).reshape(-1).tolist()
print(json.dumps([ours, half, corners]))
`
    const [ours, half, corners] = JSON.parse(execFileSync(PYTHON, ['-c', script, dir, JSON.stringify(values)], { env: { ...process.env, OMP_NUM_THREADS: '1' } }).toString().trim()) as number[][]
    expect(maxAbsDiff(ours, expected)).toBeLessThan(1e-6)
    expect(maxAbsDiff(half, expected)).toBeGreaterThan(1e-2)
    expect(maxAbsDiff(corners, expected)).toBeGreaterThan(1e-2)
  }, 60_000)
})
