// The Keras exporters (.keras, legacy .h5) on every fixture model: written, read back by our own
// importer and rebuilt by the app's builder with equal predictions, and every group, dataset,
// shape and attribute listed by Debian's h5py and checked against what Keras 3 writes and reads.
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { FIXTURE_SPECS, fixture, spec, type Fixture } from './export-fixtures'
import { kerasExporter } from '../src/main/export/formats/keras'
import { h5Exporter } from '../src/main/export/formats/h5'
import { toSnakeCase } from '../src/main/export/formats/keras-shared'
import { ExportRefusal, PARITY_TOLERANCE, type ExportModel } from '../src/main/export/types'
import { importModelBytes } from '../src/main/export/import'
import { isSequentialSpec, normalizeSpec } from '../src/shared/model-spec'
import { GRAPH_OPTIONS, GRAPH_SPECS, MORE_GRAPH_OPTIONS, MORE_GRAPH_SPECS } from './graph-fixtures'

const PYTHON = '/usr/bin/python3'
const h5pyMissing = ((): string | null => {
  const probe = spawnSync(PYTHON, ['-c', 'import h5py'], { encoding: 'utf8' })
  if (probe.error) return `${PYTHON} not found`
  return probe.status === 0 ? null : `${PYTHON} has no h5py (apt install python3-h5py)`
})()
if (h5pyMissing) console.warn(`export-keras: h5py structure checks skipped: ${h5pyMissing}`)

// Lists what h5py sees: every group, dataset (shape, dtype) and attribute (numpy type, value) of
// model.weights.h5 inside the .keras zip and of the legacy .h5, plus the archive's JSON files.
const DUMP = String.raw`
import h5py, io, json, sys, zipfile
import numpy as np

def value(v):
    if isinstance(v, bytes): return {"kind": "bytes", "value": v.decode("utf8")}
    if isinstance(v, str): return {"kind": "str", "value": v}
    if isinstance(v, np.ndarray):
        return {"kind": "array", "dtype": v.dtype.str, "shape": list(v.shape), "value": [x.decode("utf8") if isinstance(x, bytes) else float(x) for x in v.tolist()]}
    return {"kind": type(v).__name__, "value": str(v)}

def walk(f):
    out = {"groups": [], "datasets": {}, "attrs": {}}
    out["attrs"][""] = {k: value(v) for k, v in f.attrs.items()}
    def visit(name, obj):
        if isinstance(obj, h5py.Dataset):
            out["datasets"][name] = {"shape": list(obj.shape), "dtype": obj.dtype.str}
        else:
            out["groups"].append(name)
        if len(obj.attrs): out["attrs"][name] = {k: value(v) for k, v in obj.attrs.items()}
    f.visititems(visit)
    return out

keras_path, h5_path = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(keras_path) as z:
    names = z.namelist()
    config = json.loads(z.read("config.json"))
    metadata = json.loads(z.read("metadata.json"))
    with h5py.File(io.BytesIO(z.read("model.weights.h5")), "r") as w:
        weights = walk(w)
with h5py.File(h5_path, "r") as f:
    legacy = walk(f)
print(json.dumps({"zip_names": names, "config": config, "metadata": metadata, "weights": weights, "legacy": legacy}))
`

// An independent reader of both files: h5py + numpy, computing each layer as Keras documents it
// (Normalization (x − mean) / max(sqrt(var), 1e-7), Rescaling x·scale + offset, BatchNormalization
// in inference form, 'same' padding split like TensorFlow), on the raw rows. Prints max |Δ| per file.
const FORWARD = String.raw`
import h5py, io, json, sys, zipfile
import numpy as np

def act(name, x):
    if name in (None, "linear"): return x
    if name == "relu": return np.maximum(x, 0)
    if name == "relu6": return np.clip(x, 0, 6)
    if name == "tanh": return np.tanh(x)
    if name == "sigmoid": return 1 / (1 + np.exp(-x))
    if name == "softmax":
        e = np.exp(x - x.max(axis=-1, keepdims=True)); return e / e.sum(axis=-1, keepdims=True)
    if name == "elu": return np.where(x > 0, x, np.exp(x) - 1)
    if name == "softplus": return np.log1p(np.exp(x))
    if name == "softsign": return x / (1 + np.abs(x))
    if name in ("silu", "swish"): return x / (1 + np.exp(-x))
    raise SystemExit("activation " + name)

def pad_same(x, k, s):
    n, h, w, c = x.shape
    oh, ow = -(-h // s[0]), -(-w // s[1])
    ph, pw = max((oh - 1) * s[0] + k[0] - h, 0), max((ow - 1) * s[1] + k[1] - w, 0)
    return np.pad(x, ((0, 0), (ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2), (0, 0)))

def windows(x, k, s):
    n, h, w, c = x.shape
    oh, ow = (h - k[0]) // s[0] + 1, (w - k[1]) // s[1] + 1
    return np.stack([np.stack([x[:, i * s[0]:i * s[0] + k[0], j * s[1]:j * s[1] + k[1], :] for j in range(ow)], 1) for i in range(oh)], 1)

def layer(cls, c, w, x):
    if cls == "Rescaling": return x * c["scale"] + c["offset"]
    if cls == "Normalization":
        m, v = np.array(c["mean"], dtype=np.float64), np.array(c["variance"], dtype=np.float64)
        if c["axis"] == [-1]: shape = (1,) * (x.ndim - 1) + (-1,)
        else: shape = (1,) + x.shape[1:]
        return (x - m.reshape(shape)) / np.maximum(np.sqrt(v.reshape(shape)), 1e-7)
    if cls == "Dense": return act(c["activation"], x @ w[0] + (w[1] if c["use_bias"] else 0))
    if cls == "Activation": return act(c["activation"], x)
    if cls == "Dropout": return x
    if cls == "Flatten": return x.reshape(x.shape[0], -1)
    if cls == "Reshape": return x.reshape((x.shape[0],) + tuple(c["target_shape"]))
    if cls == "BatchNormalization":
        i = 0; gamma = beta = None
        if c["scale"]: gamma = w[i]; i += 1
        if c["center"]: beta = w[i]; i += 1
        mean, var = w[i], w[i + 1]
        y = (x - mean) / np.sqrt(var + c["epsilon"])
        if gamma is not None: y = y * gamma
        if beta is not None: y = y + beta
        return y
    if cls == "Conv2D":
        k, s = c["kernel_size"], c["strides"]
        if c["padding"] == "same": x = pad_same(x, k, s)
        win = windows(x, k, s)
        y = np.einsum("nijabc,abco->nijo", win, w[0])
        return act(c["activation"], y + (w[1] if c["use_bias"] else 0))
    if cls in ("MaxPooling2D", "AveragePooling2D"):
        k = c["pool_size"]; s = c["strides"] or k
        if c["padding"] == "same": raise SystemExit("same pooling not in the fixtures")
        win = windows(x, k, s)
        return win.max(axis=(3, 4)) if cls == "MaxPooling2D" else win.mean(axis=(3, 4))
    raise SystemExit("layer " + cls)

def run(layers, x):
    x = x.astype(np.float64)
    for cls, c, w in layers: x = layer(cls, c, [np.array(v, dtype=np.float64) for v in w], x)
    return x

def from_keras(path):
    with zipfile.ZipFile(path) as z:
        config = json.loads(z.read("config.json"))
        h5 = h5py.File(io.BytesIO(z.read("model.weights.h5")), "r")
    out, seen = [], {}
    import re
    for entry in config["config"]["layers"][1:]:
        cls = entry["class_name"]
        snake = re.sub("([a-z])([A-Z])", r"\1_\2", re.sub("(.)([A-Z][a-z]+)", r"\1_\2", cls)).lower()
        n = seen.get(snake); seen[snake] = 0 if n is None else n + 1
        vars = h5["layers/" + (snake if n is None else "%s_%d" % (snake, n + 1)) + "/vars"]
        out.append((cls, entry["config"], [vars[str(i)][()] for i in range(len(vars))]))
    return out

def from_h5(path):
    f = h5py.File(path, "r")
    config = json.loads(f.attrs["model_config"])
    mw = f["model_weights"]
    out = []
    for entry in config["config"]["layers"][1:]:
        g = mw[entry["config"]["name"]]
        names = [n.decode("utf8") for n in g.attrs["weight_names"]] if len(g.attrs["weight_names"]) else []
        c = dict(entry["config"])
        for key in ("kernel_size", "strides", "pool_size"):
            if isinstance(c.get(key), int): c[key] = [c[key], c[key]]
        out.append((entry["class_name"], c, [g[n][()] for n in names]))
    return out

keras_path, h5_path, raw_path, expected_path, rows = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
shape = json.loads(sys.argv[6])
raw = np.fromfile(raw_path, dtype="<f4").reshape([rows] + shape)
expected = np.fromfile(expected_path, dtype="<f4").reshape(rows, -1)
result = {}
for label, layers in (("keras", from_keras(keras_path)), ("h5", from_h5(h5_path))):
    y = run(layers, raw).reshape(rows, -1)
    result[label] = float(np.abs(y - expected).max())
print(json.dumps(result))
`

interface H5Dump {
  groups: string[]
  datasets: Record<string, { shape: number[]; dtype: string }>
  attrs: Record<string, Record<string, { kind: string; value: unknown; dtype?: string; shape?: number[] }>>
}
interface Dump {
  zip_names: string[]
  config: Record<string, unknown> & { config: { layers: Array<Record<string, unknown> & { class_name: string; config: Record<string, unknown> }> } }
  metadata: { keras_version: string; date_saved: string }
  weights: H5Dump
  legacy: H5Dump
}

/** What Keras 3's saving_lib would write for `model`: per Sequential layer (scaling first) its class-counter path and variable shapes. */
function expectedKerasPaths(model: ExportModel): Array<{ path: string; shapes: number[][] }> {
  const classes = [...(model.scaling ? [model.scaling.uniform ? 'Rescaling' : 'Normalization'] : []), ...model.layers.map((l) => l.class_name)]
  const shapes = [...(model.scaling ? [[]] : []), ...model.layers.map((l) => l.weights.map((w) => w.shape))]
  const seen = new Map<string, number>()
  return classes.map((className, i) => {
    const base = toSnakeCase(className)
    const n = seen.get(base)
    seen.set(base, n === undefined ? 0 : n + 1)
    return { path: `layers/${n === undefined ? base : `${base}_${n + 1}`}`, shapes: shapes[i] }
  })
}

/** max |Δ| of the written .keras and .h5 files against the app's predictions, walked by `script` (numpy, Keras's formulas) on the fixture's raw rows. */
function numpyForward(script: string, dir: string, kerasDir: string, h5Dir: string, f: Fixture): { keras: number; h5: number } {
  const rawPath = join(dir, 'raw.f32')
  const expectedPath = join(dir, 'expected.f32')
  writeFileSync(rawPath, Buffer.from(f.sample.raw.buffer, f.sample.raw.byteOffset, f.sample.raw.byteLength))
  writeFileSync(expectedPath, Buffer.from(f.sample.expected.buffer, f.sample.expected.byteOffset, f.sample.expected.byteLength))
  const forward = spawnSync(PYTHON, ['-c', script, join(kerasDir, 'model.keras'), join(h5Dir, 'model.h5'), rawPath, expectedPath, String(f.sample.rows), JSON.stringify(f.model.input_shape)], { encoding: 'utf8' })
  expect(forward.stderr).toBe('')
  return JSON.parse(forward.stdout) as { keras: number; h5: number }
}

const folders: string[] = []
afterAll(() => folders.forEach((folder) => rmSync(folder, { recursive: true, force: true })))

const CASES = Object.entries(FIXTURE_SPECS).map(([name, s]) => ({ name, s, scaling: name === 'cnn' ? ('divide255' as const) : ('standard' as const) }))

describe('Keras exporters', () => {
  it('name weights groups the way Keras does (snake_case class names)', () => {
    expect(['Dense', 'Conv2D', 'MaxPooling2D', 'AveragePooling2D', 'BatchNormalization', 'Rescaling', 'InputLayer'].map(toSnakeCase)).toEqual([
      'dense', 'conv2d', 'max_pooling2d', 'average_pooling2d', 'batch_normalization', 'rescaling', 'input_layer'
    ])
  })

  it.each(CASES)('$name: .keras and .h5 are written, read back with equal predictions, and h5py sees the Keras layout', async ({ name, s, scaling }) => {
    const f = await fixture(s, { scaling, rows: 16 })
    const dir = mkdtempSync(join(tmpdir(), `mw-keras-${name}-`))
    folders.push(dir)
    try {
      expect(f.model.layers.every((layer) => kerasExporter.supports(layer) && h5Exporter.supports(layer))).toBe(true)
      const kerasDir = join(dir, 'keras')
      const h5Dir = join(dir, 'h5')
      execFileSync('mkdir', ['-p', kerasDir, h5Dir])
      expect(await kerasExporter.write(f.model, kerasDir)).toEqual(['model.keras', 'preprocessing.json', 'preprocess.py', 'README.md'])
      expect(await h5Exporter.write(f.model, h5Dir)).toEqual(['model.h5', 'preprocessing.json', 'preprocess.py', 'README.md'])

      const keras = await kerasExporter.verify!(f.model, kerasDir, f.sample)
      const h5 = await h5Exporter.verify!(f.model, h5Dir, f.sample)
      for (const v of [keras, h5]) {
        expect(v.verified_by).toMatch(/^model-workbench reader \(h5wasm \d+\.\d+\.\d+\)$/)
        expect(v.rows).toBe(16)
        expect(v.max_abs_diff).not.toBeNull()
        expect(v.max_abs_diff!).toBeLessThan(PARITY_TOLERANCE)
      }
      console.log(`export-keras ${name}: max |Δ| .keras ${keras.max_abs_diff!.toExponential(2)}, .h5 ${h5.max_abs_diff!.toExponential(2)} over ${keras.rows} rows`)

      if (h5pyMissing) return
      const run = spawnSync(PYTHON, ['-c', DUMP, join(kerasDir, 'model.keras'), join(h5Dir, 'model.h5')], { encoding: 'utf8' })
      expect(run.stderr).toBe('')
      const dump = JSON.parse(run.stdout) as Dump

      // .keras: the three files, metadata, config in serialize_keras_object form.
      expect(dump.zip_names.sort()).toEqual(['config.json', 'metadata.json', 'model.weights.h5'])
      expect(dump.metadata.keras_version).toMatch(/^3\.\d+\.\d+$/)
      expect(dump.metadata.date_saved).toMatch(/^\d{4}-\d\d-\d\d@\d\d:\d\d:\d\d$/)
      const batchShape = [null, ...f.model.input_shape]
      expect(dump.config).toMatchObject({ module: 'keras', class_name: 'Sequential', registered_name: null, build_config: { input_shape: batchShape }, compile_config: null })
      const layers = dump.config.config.layers
      expect(layers[0]).toEqual({ module: 'keras.layers', class_name: 'InputLayer', registered_name: null, config: { batch_shape: batchShape, dtype: 'float32', sparse: false, ragged: false, name: 'input_layer' } })
      const scalingClass = f.model.scaling!.uniform ? 'Rescaling' : 'Normalization'
      expect(layers[1]).toMatchObject({ module: 'keras.layers', class_name: scalingClass, registered_name: null, build_config: { input_shape: batchShape } })
      if (scalingClass === 'Rescaling') expect(layers[1].config).toEqual({ name: 'rescaling', trainable: true, dtype: layers[2].config.dtype, scale: f.model.scaling!.uniform!.scale, offset: -f.model.scaling!.uniform!.offset * f.model.scaling!.uniform!.scale + 0 })
      else {
        const n = f.model.input_shape.reduce((a, b) => a * b, 1)
        expect(layers[1].config).toMatchObject({ axis: [-1], invert: false })
        expect((layers[1].config.mean as number[]).length).toBe(n)
        expect((layers[1].config.variance as number[])[1]).toBeCloseTo((0.5 + 1) ** 2, 10)
      }
      layers.slice(2).forEach((entry, i) => {
        const layer = f.model.layers[i]
        expect(entry).toMatchObject({ module: 'keras.layers', class_name: layer.class_name, registered_name: null, build_config: { input_shape: [null, ...layer.input_shape] } })
        expect(entry.config).toMatchObject({ name: layer.name, trainable: true, dtype: { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' }, registered_name: null } })
        if (layer.class_name === 'Dense') {
          expect(entry.config).toMatchObject({ units: layer.config.units, kernel_initializer: { module: 'keras.initializers', class_name: 'GlorotUniform', config: { seed: null }, registered_name: null } })
        }
      })

      // model.weights.h5: the model's own empty vars, then layers/<class>[_n]/vars/<i>, empty vars for layers without variables.
      const expected = expectedKerasPaths(f.model)
      const wantGroups = ['layers', 'vars', ...expected.flatMap((e) => [e.path, `${e.path}/vars`])].sort()
      expect(dump.weights.groups.sort()).toEqual(wantGroups)
      const wantDatasets = Object.fromEntries(expected.flatMap((e) => e.shapes.map((shape, v) => [`${e.path}/vars/${v}`, { shape, dtype: '<f4' }])))
      expect(dump.weights.datasets).toEqual(wantDatasets)
      const firstDense = f.model.layers.find((l) => l.class_name === 'Dense')!
      const densePath = expected[f.model.layers.indexOf(firstDense) + (f.model.scaling ? 1 : 0)].path
      expect(densePath).toBe('layers/dense')
      expect(dump.weights.datasets['layers/dense/vars/0'].shape).toEqual([firstDense.input_shape.at(-1), firstDense.config.units])

      // Legacy .h5: root attributes, model_weights/layer_names, per layer weight_names and datasets.
      const root = dump.legacy.attrs['']
      expect(root.keras_version).toEqual({ kind: 'str', value: dump.metadata.keras_version })
      expect(root.backend).toEqual({ kind: 'str', value: 'tensorflow' })
      expect(root.model_config.kind).toBe('bytes')
      const modelConfig = JSON.parse(root.model_config.value as string) as { class_name: string; config: { layers: Array<{ class_name: string; config: Record<string, unknown> }> } }
      expect(modelConfig.class_name).toBe('Sequential')
      expect(modelConfig.config.layers[0]).toMatchObject({ class_name: 'InputLayer', config: { batch_input_shape: batchShape, dtype: 'float32' } })
      expect(modelConfig.config.layers[1].class_name).toBe(scalingClass)
      const scalingName = String(modelConfig.config.layers[1].config.name)
      const layerNames = [scalingName, ...f.model.layers.map((l) => l.name)]
      const mw = dump.legacy.attrs['model_weights']
      expect(mw.layer_names).toMatchObject({ kind: 'array', dtype: expect.stringMatching(/^\|S\d+$/), value: layerNames })
      expect(mw.backend).toEqual({ kind: 'bytes', value: 'tensorflow' })
      expect(mw.keras_version).toEqual({ kind: 'bytes', value: dump.metadata.keras_version })
      const wantLegacy: Record<string, { shape: number[]; dtype: string }> = {}
      for (const layer of f.model.layers) {
        const names = dump.legacy.attrs[`model_weights/${layer.name}`].weight_names
        if (layer.weights.length === 0) {
          expect(names).toEqual({ kind: 'array', dtype: '<f8', shape: [0], value: [] })
          continue
        }
        expect(names).toMatchObject({ kind: 'array', dtype: expect.stringMatching(/^\|S\d+$/), value: layer.weights.map((w) => `${layer.name}/${w.name}`) })
        for (const w of layer.weights) wantLegacy[`model_weights/${layer.name}/${layer.name}/${w.name}`] = { shape: w.shape, dtype: '<f4' }
      }
      expect(dump.legacy.attrs[`model_weights/${scalingName}`].weight_names).toMatchObject({ kind: 'array', shape: [0] })
      expect(dump.legacy.attrs['model_weights/top_level_model_weights'].weight_names).toMatchObject({ kind: 'array', shape: [0] })
      expect(dump.legacy.datasets).toEqual(wantLegacy)
      expect(wantLegacy[`model_weights/${firstDense.name}/${firstDense.name}/kernel`].shape).toEqual([firstDense.input_shape.at(-1), firstDense.config.units])

      // Both files through numpy (Keras's formulas, float64) on the raw rows: equal to the app's predictions.
      const numpy = numpyForward(FORWARD, dir, kerasDir, h5Dir, f)
      console.log(`export-keras ${name}: numpy (h5py) reading Keras's formulas: max |Δ| .keras ${numpy.keras.toExponential(2)}, .h5 ${numpy.h5.toExponential(2)}`)
      expect(numpy.keras).toBeLessThan(PARITY_TOLERANCE)
      expect(numpy.h5).toBeLessThan(PARITY_TOLERANCE)
    } finally {
      f.dispose()
    }
  })

  it('refuses a layer Keras 3 computes differently, naming it, and writes nothing wrong', async () => {
    const f = await fixture(spec('hs', [3], [{ class_name: 'Dense', config: { units: 2, activation: 'hard_sigmoid' } }]), { scaling: 'none', rows: 2 })
    const dir = mkdtempSync(join(tmpdir(), 'mw-keras-refuse-'))
    folders.push(dir)
    try {
      expect(kerasExporter.supports(f.model.layers[0])).toBe(false)
      expect(h5Exporter.supports(f.model.layers[0])).toBe(false)
      for (const exporter of [kerasExporter, h5Exporter]) {
        const error = await exporter.write(f.model, dir).catch((e: unknown) => e)
        expect(error).toBeInstanceOf(ExportRefusal)
        expect((error as ExportRefusal).layer).toEqual({ index: 0, class_name: 'Dense', name: 'dense_1' })
        expect((error as Error).message).toMatch(/layer 1 \(Dense "dense_1"\) uses hard_sigmoid, which Keras 3 computes as relu6\(x \+ 3\) \/ 6/)
      }
    } finally {
      f.dispose()
    }
  })

  it('writes a model without scaling with no scaling layer', async () => {
    const f = await fixture(FIXTURE_SPECS.linear, { scaling: 'none', rows: 4 })
    const dir = mkdtempSync(join(tmpdir(), 'mw-keras-plain-'))
    folders.push(dir)
    try {
      await kerasExporter.write(f.model, dir)
      const v = await kerasExporter.verify!(f.model, dir, f.sample)
      expect(v.max_abs_diff!).toBeLessThan(PARITY_TOLERANCE)
      const { kerasArchiveContent } = await import('../src/main/export/formats/keras')
      const content = kerasArchiveContent(f.model)
      expect((content.config.config as { layers: Array<{ class_name: string }> }).layers.map((l) => l.class_name)).toEqual(['InputLayer', 'Dense'])
      expect(content.groups.map((g) => g.path)).toEqual(['dense'])
    } finally {
      f.dispose()
    }
  })
})

// Graph models (issue 11): a Functional config in the .keras (Keras 3 nodes) and in the .h5 (Keras 2
// nodes), read back by our importer, and walked by h5py + numpy along inbound_nodes with Keras's
// formulas for merges, 1-D convolution and pooling, global pooling, LSTM, GRU (reset_after=False),
// SimpleRNN and Bidirectional — on the raw rows, against the app's predictions.
const GRAPH_FORWARD = FORWARD.slice(0, FORWARD.indexOf('def run(')) + String.raw`
MERGES = ("Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate")

def recurrent(cls, c, w, x, backwards=False):
    u = c["units"]; n, steps, _ = x.shape
    k, rk = w[0], w[1]
    b = w[2] if c["use_bias"] else np.zeros(k.shape[1])
    h = np.zeros((n, u)); cell = np.zeros((n, u)); outs = []
    order = range(steps - 1, -1, -1) if backwards else range(steps)
    for t in order:
        xt = x[:, t]
        if cls == "SimpleRNN":
            h = act(c["activation"], xt @ k + h @ rk + b)
        elif cls == "LSTM":
            z = xt @ k + h @ rk + b
            ra = c["recurrent_activation"]
            i, f, g, o = act(ra, z[:, :u]), act(ra, z[:, u:2 * u]), z[:, 2 * u:3 * u], act(ra, z[:, 3 * u:])
            cell = f * cell + i * act(c["activation"], g)
            h = o * act(c["activation"], cell)
        elif cls == "GRU":
            if c.get("reset_after", True): raise SystemExit("GRU reset_after=True not in the fixtures")
            xi = xt @ k + b
            ra = c["recurrent_activation"]
            z = act(ra, xi[:, :u] + h @ rk[:, :u])
            r = act(ra, xi[:, u:2 * u] + h @ rk[:, u:2 * u])
            hh = act(c["activation"], xi[:, 2 * u:] + (r * h) @ rk[:, 2 * u:])
            h = z * h + (1 - z) * hh
        else: raise SystemExit("recurrent " + cls)
        outs.append(h)
    if not c["return_sequences"]: return h
    seq = np.stack(outs, 1)
    return seq[:, ::-1] if backwards else seq

def node(cls, c, w, xs):
    if cls == "Add": return sum(xs)
    if cls == "Subtract": return xs[0] - xs[1]
    if cls == "Multiply": return np.prod(np.stack(xs), axis=0)
    if cls == "Average": return sum(xs) / len(xs)
    if cls == "Maximum": return np.max(np.stack(xs), axis=0)
    if cls == "Minimum": return np.min(np.stack(xs), axis=0)
    if cls == "Concatenate": return np.concatenate(xs, axis=c["axis"])
    x = xs[0]
    if cls == "GlobalAveragePooling2D": return x.mean(axis=(1, 2))
    if cls == "GlobalMaxPooling2D": return x.max(axis=(1, 2))
    if cls == "GlobalAveragePooling1D": return x.mean(axis=1)
    if cls == "GlobalMaxPooling1D": return x.max(axis=1)
    if cls == "Conv1D":
        c2 = dict(c, kernel_size=[1, c["kernel_size"][0]], strides=[1, c["strides"][0]])
        return layer("Conv2D", c2, [w[0][None]] + w[1:], x[:, None])[:, 0]
    if cls in ("MaxPooling1D", "AveragePooling1D"):
        # 'same' pads with cells the window leaves out (TensorFlow's pooling), here NaN skipped by nanmax/nanmean.
        k = c["pool_size"][0]; s = (c["strides"] or c["pool_size"])[0]; steps = x.shape[1]
        if c["padding"] == "same":
            out = -(-steps // s); p = max((out - 1) * s + k - steps, 0)
            x = np.pad(x, ((0, 0), (p // 2, p - p // 2), (0, 0)), constant_values=np.nan)
        else: out = (steps - k) // s + 1
        win = np.stack([x[:, i * s:i * s + k] for i in range(out)], 1)
        return np.nanmax(win, axis=2) if cls == "MaxPooling1D" else np.nanmean(win, axis=2)
    if cls in ("SimpleRNN", "LSTM", "GRU"): return recurrent(cls, c, w, x)
    if cls in ("GaussianNoise", "SpatialDropout1D", "SpatialDropout2D"): return x
    if cls == "LayerNormalization":
        axis = c["axis"] if c["axis"] >= 0 else x.ndim + c["axis"]
        m = x.mean(axis=axis, keepdims=True); v = x.var(axis=axis, keepdims=True)
        y = (x - m) / np.sqrt(v + c["epsilon"])
        shape = [1] * x.ndim; shape[axis] = -1; i = 0
        if c["scale"]: y = y * w[i].reshape(shape); i += 1
        if c["center"]: y = y + w[i].reshape(shape)
        return y
    if cls == "Bidirectional":
        inner = c["layer"]; ic = inner["config"]; half = len(w) // 2
        y, yr = recurrent(inner["class_name"], ic, w[:half], x), recurrent(inner["class_name"], ic, w[half:], x, backwards=True)
        mode = c["merge_mode"]
        return np.concatenate([y, yr], -1) if mode == "concat" else y + yr if mode == "sum" else (y + yr) / 2 if mode == "ave" else y * yr
    return layer(cls, c, w, x)

def walk(entries, weights_of, x, output):
    vals = {}
    for name, cls, c, inbound in entries:
        if cls == "InputLayer": vals[name] = x.astype(np.float64); continue
        w = [np.array(v, dtype=np.float64) for v in weights_of(name, cls)]
        vals[name] = node(cls, c, w, [vals[i] for i in inbound])
    return vals[output]

def snake(cls):
    import re
    return re.sub("([a-z])([A-Z])", r"\1_\2", re.sub("(.)([A-Z][a-z]+)", r"\1_\2", cls)).lower()

def history(args):
    if isinstance(args, list): return [n for a in args for n in history(a)]
    if isinstance(args, dict) and args.get("class_name") == "__keras_tensor__": return [args["config"]["keras_history"][0]]
    return []

def from_keras(path, x):
    with zipfile.ZipFile(path) as z:
        config = json.loads(z.read("config.json"))
        h5 = h5py.File(io.BytesIO(z.read("model.weights.h5")), "r")
    layers = config["config"]["layers"]
    paths, seen = {}, {}
    for entry in layers if config["class_name"] == "Functional" else layers[1:]:
        s = snake(entry["class_name"]); n = seen.get(s); seen[s] = 0 if n is None else n + 1
        paths[entry["config"]["name"]] = s if n is None else "%s_%d" % (s, n + 1)
    def weights_of(name, cls):
        g = h5["layers/" + paths[name]]
        subs = ["cell"] if cls in ("SimpleRNN", "LSTM", "GRU") else ["forward_layer/cell", "backward_layer/cell"] if cls == "Bidirectional" else [""]
        out = []
        for sub in subs:
            v = g[sub + "/vars"] if sub else g["vars"]
            out += [v[str(i)][()] for i in range(len(v))]
        return out
    entries = []
    for i, e in enumerate(layers):
        inbound = [layers[i - 1]["config"]["name"]] if config["class_name"] == "Sequential" and i > 0 else history(e.get("inbound_nodes", [{}])[0].get("args", [])) if e.get("inbound_nodes") else []
        entries.append((e["config"]["name"], e["class_name"], e["config"], inbound))
    output = config["config"]["output_layers"][0][0] if config["class_name"] == "Functional" else layers[-1]["config"]["name"]
    return walk(entries, weights_of, x, output)

def from_h5(path, x):
    f = h5py.File(path, "r")
    config = json.loads(f.attrs["model_config"])
    mw = f["model_weights"]
    def weights_of(name, cls):
        g = mw[name]
        names = [n.decode("utf8") for n in g.attrs["weight_names"]] if len(g.attrs["weight_names"]) else []
        return [g[n][()] for n in names]
    layers = config["config"]["layers"]
    entries = []
    for i, e in enumerate(layers):
        c = dict(e["config"])
        for key in ("kernel_size", "strides", "pool_size"):
            if isinstance(c.get(key), int): c[key] = [c[key], c[key]]
        inbound = [layers[i - 1]["config"]["name"]] if config["class_name"] == "Sequential" and i > 0 else [ref[0] for ref in e["inbound_nodes"][0]] if e.get("inbound_nodes") else []
        entries.append((c["name"], e["class_name"], c, inbound))
    output = config["config"]["output_layers"][0][0] if config["class_name"] == "Functional" else layers[-1]["config"]["name"]
    return walk(entries, weights_of, x, output)

keras_path, h5_path, raw_path, expected_path, rows = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
shape = json.loads(sys.argv[6])
raw = np.fromfile(raw_path, dtype="<f4").reshape([rows] + shape)
expected = np.fromfile(expected_path, dtype="<f4").reshape(rows, -1)
print(json.dumps({label: float(np.abs(read(p, raw).reshape(rows, -1) - expected).max()) for label, read, p in (("keras", from_keras, keras_path), ("h5", from_h5, h5_path))}))
`

const GRAPH_CASES = [
  ...Object.entries(GRAPH_SPECS).map(([name, s]) => ({ name, s, options: GRAPH_OPTIONS[name], numpy: true })),
  ...(['merges', 'bidirectional', 'conv1dGru', 'concatConv', 'normalization', 'normalizationPartial'] as const).map((name) => ({ name, s: MORE_GRAPH_SPECS[name], options: MORE_GRAPH_OPTIONS[name], numpy: true })),
  // Depthwise, separable and transposed convolutions, padding, cropping, upsampling, dilation: our reader only (the numpy walker has no such layers).
  ...(['convFamily', 'dilated1d', 'dilated2d'] as const).map((name) => ({ name, s: MORE_GRAPH_SPECS[name], options: MORE_GRAPH_OPTIONS[name], numpy: false }))
]

describe('Keras exporters: graph models', () => {
  it.each(GRAPH_CASES)('$name: a Functional .keras and .h5, read back with equal predictions, walked by h5py + numpy', async ({ name, s, options, numpy: walk }) => {
    const f = await fixture(s, { rows: 12, ...options })
    const dir = mkdtempSync(join(tmpdir(), `mw-keras-graph-${name}-`))
    folders.push(dir)
    try {
      const kerasDir = join(dir, 'keras')
      const h5Dir = join(dir, 'h5')
      execFileSync('mkdir', ['-p', kerasDir, h5Dir])
      await kerasExporter.write(f.model, kerasDir)
      await h5Exporter.write(f.model, h5Dir)
      const keras = await kerasExporter.verify!(f.model, kerasDir, f.sample)
      const h5 = await h5Exporter.verify!(f.model, h5Dir, f.sample)
      for (const v of [keras, h5]) {
        expect(v.note ?? '').not.toMatch(/^failed/)
        expect(v.max_abs_diff).not.toBeNull()
        expect(v.max_abs_diff!).toBeLessThan(PARITY_TOLERANCE)
      }
      // The file read back is the same graph.
      const back = await importModelBytes('model.keras', new Uint8Array(readFileSync(join(kerasDir, 'model.keras'))))
      // (listed in Keras's order, which may be another topological order than the spec's)
      const graphOf = (spec: typeof s): unknown => spec.layers.map((l) => [l.class_name, String(l.config.name), l.inbound]).sort((a, b) => String(a[1]).localeCompare(String(b[1])))
      expect(graphOf(back.spec)).toEqual(graphOf(normalizeSpec(s)))
      if (h5pyMissing) return
      const run = spawnSync(PYTHON, ['-c', DUMP, join(kerasDir, 'model.keras'), join(h5Dir, 'model.h5')], { encoding: 'utf8' })
      expect(run.stderr).toBe('')
      const dump = JSON.parse(run.stdout) as Dump
      const sequential = isSequentialSpec(s)
      expect(dump.config.class_name).toBe(sequential ? 'Sequential' : 'Functional')
      if (!sequential) {
        expect(dump.config).toMatchObject({ module: 'keras.src.models.functional', registered_name: 'Functional', config: { output_layers: [[f.model.layers.at(-1)!.name, 0, 0]] } })
        expect(dump.weights.groups).toContain('layers/input_layer/vars')
        const legacyConfig = JSON.parse(dump.legacy.attrs[''].model_config.value as string) as { class_name: string }
        expect(legacyConfig.class_name).toBe('Functional')
      }
      for (const layer of f.model.layers.filter((l) => l.class_name === 'LSTM' || l.class_name === 'GRU')) {
        const path = `layers/${toSnakeCase(layer.class_name)}`
        expect(dump.weights.datasets[`${path}/cell/vars/0`]).toEqual({ shape: layer.weights[0].shape, dtype: '<f4' })
        expect(dump.legacy.datasets[`model_weights/${layer.name}/${layer.name}/${layer.class_name.toLowerCase()}_cell/kernel`]).toEqual({ shape: layer.weights[0].shape, dtype: '<f4' })
      }
      if (!walk) return
      const numpy = numpyForward(GRAPH_FORWARD, dir, kerasDir, h5Dir, f)
      console.log(`export-keras graph ${name}: reader .keras ${keras.max_abs_diff!.toExponential(2)}, .h5 ${h5.max_abs_diff!.toExponential(2)}; numpy (h5py) .keras ${numpy.keras.toExponential(2)}, .h5 ${numpy.h5.toExponential(2)}`)
      expect(numpy.keras).toBeLessThan(PARITY_TOLERANCE)
      expect(numpy.h5).toBeLessThan(PARITY_TOLERANCE)
    } finally {
      f.dispose()
    }
  })

  it('refuses an LSTM whose recurrent activation is hard_sigmoid (Keras 3 computes another formula), naming it', async () => {
    const f = await fixture(MORE_GRAPH_SPECS.embeddingLstm, { rows: 2, ...MORE_GRAPH_OPTIONS.embeddingLstm })
    try {
      const error = await kerasExporter.write(f.model, mkdtempSync(join(tmpdir(), 'mw-keras-hs-'))).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(ExportRefusal)
      expect((error as Error).message).toMatch(/\(LSTM "lstm_last"\) uses hard_sigmoid as its recurrent_activation/)
    } finally {
      f.dispose()
    }
  })
})
