// The PyTorch export: every fixture model written, reloaded by the folder's own model.py in
// python3 + torch (load_state_dict(strict=True)) and compared with the app's predictions on raw
// rows; the safetensors file read by an independent reader (Python's struct/json); refusals.
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { pytorchExporter } from '../src/main/export/formats/pytorch'
import { decodeSafetensors, encodeSafetensors } from '../src/main/export/helpers/safetensors'
import { preprocessPy } from '../src/main/export/helpers/preprocess-py'
import { LAYOUT_METADATA_KEY, kerasWeightsFromState, samePadding, toKerasLayout, toTorchLayout, type TorchLayout } from '../src/main/export/helpers/torch-module'
import { ExportRefusal, PARITY_TOLERANCE, type ExportModel, type Preprocessing } from '../src/main/export/types'
import { ACTIVATIONS } from '../src/shared/model-spec/registry'
import { FIXTURE_SPECS, fixture, spec } from './export-fixtures'

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
      const model: ExportModel = { ...f.model, layers: f.model.layers.map((l, i) => (i === 1 ? { ...l, class_name: 'LSTM', name: 'lstm_1' } : l)) }
      expect(pytorchExporter.supports(model.layers[1])).toBe(false)
      const dir = await freshDir()
      const error = await pytorchExporter.write(model, dir).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(ExportRefusal)
      expect((error as ExportRefusal).format).toBe('pytorch')
      expect((error as ExportRefusal).layer).toEqual({ index: 1, class_name: 'LSTM', name: 'lstm_1' })
      expect((error as Error).message).toMatch(/layer 2 "lstm_1" \(LSTM\)/)
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
