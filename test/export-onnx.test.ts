// The ONNX exporter on every fixture model: structure of model.onnx (IR 8, opset 13, raw input
// with the scaling as its first ops, NHWC ↔ NCHW only around convolutions), parity in
// onnxruntime-node with the app's predictions on raw rows, Debian's onnx checker (full_check)
// as an independent reader of the file, and refusal of layers ONNX cannot hold.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { onnx } from 'onnx-proto'
import { onnxExporter, samePadding } from '../src/main/export/formats/onnx'
import { ExportRefusal, PARITY_TOLERANCE, type Preprocessing } from '../src/main/export/types'
import { FIXTURE_SPECS, fixture, type Fixture } from './export-fixtures'
import { validateSpec } from '../src/shared/model-spec'
import { ACTIVATION_SPECS, BN_AXIS1_SPEC, MORE_SPECS, RECORDS, modelWithUnknownLayer, readmeScript, tableCategoricalFixture } from './export-fixtures-more'
import { GRAPH_OPTIONS, GRAPH_SPECS, MORE_GRAPH_OPTIONS, MORE_GRAPH_SPECS } from './graph-fixtures'

const PYTHON = '/usr/bin/python3'
const pythonOnnx = (() => {
  if (!existsSync(PYTHON)) return { ok: false, reason: `${PYTHON} not found` }
  try {
    return { ok: true, reason: execFileSync(PYTHON, ['-c', 'import onnx; print(onnx.__version__)'], { encoding: 'utf8' }).trim() }
  } catch {
    return { ok: false, reason: `${PYTHON} has no onnx module (apt-get install python3-onnx)` }
  }
})()
if (!pythonOnnx.ok) console.warn(`export-onnx: SKIPPING the onnx checker test: ${pythonOnnx.reason}`)

const root = mkdtempSync(join(tmpdir(), 'export-onnx-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))
const written: Array<{ name: string; path: string; outputShape: number[]; readme: string }> = []
const diffs: Record<string, number> = {}

function decode(dir: string): onnx.ModelProto {
  return onnx.ModelProto.decode(readFileSync(join(dir, 'model.onnx')))
}

async function exportAndVerify(name: string, f: Fixture): Promise<{ dir: string; proto: onnx.ModelProto; files: string[] }> {
  const dir = join(root, name)
  mkdirSync(dir, { recursive: true })
  const files = await onnxExporter.write(f.model, dir)
  const verification = await onnxExporter.verify!(f.model, dir, f.sample)
  expect(verification.verified_by).toMatch(/^onnxruntime-node \d+\.\d+\.\d+$/)
  expect(verification.rows).toBe(f.sample.rows)
  expect(verification.note).toBeNull()
  expect(verification.max_abs_diff).not.toBeNull()
  expect(verification.max_abs_diff!).toBeLessThan(PARITY_TOLERANCE)
  diffs[name] = verification.max_abs_diff!
  written.push({ name, path: join(dir, 'model.onnx'), outputShape: f.model.output_shape, readme: join(dir, 'README.md') })
  return { dir, proto: decode(dir), files }
}

const nodesOf = (p: onnx.ModelProto, opType: string): onnx.INodeProto[] => p.graph!.node!.filter((n) => n.opType === opType)
const attr = (n: onnx.INodeProto, name: string): number | number[] | string | string[] | undefined => {
  const a = n.attribute!.find((x) => x.name === name)
  if (!a) return undefined
  if (a.type === onnx.AttributeProto.AttributeType.INT) return Number(a.i)
  if (a.type === onnx.AttributeProto.AttributeType.INTS) return a.ints!.map(Number)
  if (a.type === onnx.AttributeProto.AttributeType.STRING) return new TextDecoder().decode(a.s)
  if (a.type === onnx.AttributeProto.AttributeType.STRINGS) return a.strings!.map((x) => new TextDecoder().decode(x))
  return undefined
}
const dims = (v: onnx.IValueInfoProto): Array<string | number> => v.type!.tensorType!.shape!.dim!.map((d) => (d.dimParam ? d.dimParam : Number(d.dimValue)))
const ops = (p: onnx.ModelProto): string[] => p.graph!.node!.map((n) => n.opType!)

describe('ONNX exporter', () => {
  it('pads like TF for "same" (extra cell at the end)', () => {
    expect(samePadding(8, 3, 1, 1)).toEqual([1, 1])
    expect(samePadding(9, 3, 2, 1)).toEqual([1, 1])
    expect(samePadding(8, 2, 2, 1)).toEqual([0, 0])
    expect(samePadding(5, 2, 1, 1)).toEqual([0, 1])
    expect(samePadding(5, 2, 1, 2)).toEqual([1, 1])
    expect(samePadding(5, 3, 2, 1)).toEqual([1, 1])
  })

  it('linear (S1-like): IR 8, opset 13, symbolic batch, per-feature scaling as Sub + Mul, metadata', async () => {
    const f = await fixture(FIXTURE_SPECS.linear)
    const { dir, proto, files } = await exportAndVerify('linear', f)
    expect(files.sort()).toEqual(['README.md', 'model.onnx', 'preprocess.js', 'preprocessing.json'])
    expect(Number(proto.irVersion)).toBe(8)
    expect(proto.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([['', 13]])
    expect(proto.graph!.input!.map((i) => [i.name, dims(i)])).toEqual([['input', ['batch', 1]]])
    expect(proto.graph!.output!.map((o) => [o.name, dims(o)])).toEqual([['output', ['batch', 1]]])
    expect(ops(proto)).toEqual(['Sub', 'Mul', 'MatMul', 'Add'])
    const props = Object.fromEntries(proto.metadataProps.map((p) => [p.key, p.value]))
    const pre = JSON.parse(readFileSync(join(dir, 'preprocessing.json'), 'utf8')) as Preprocessing
    expect(JSON.parse(props.preprocessing)).toEqual(pre)
    expect(pre.scaling_in_model).toBe(true)
    expect(pre.scaling!.offset).toEqual(f.model.scaling!.offset)
    expect(JSON.parse(props.model_workbench).run_id).toBe('run-fixture')
    const readme = readFileSync(join(dir, 'README.md'), 'utf8')
    expect(readme).toContain('onnxruntime')
    expect(readme).toContain('RAW')
    f.dispose()
  })

  it('mnistMlp (S5-like): uniform ÷255 as one scalar Mul, Dropout as nothing, softmax, class names in README', async () => {
    const f = await fixture(FIXTURE_SPECS.mnistMlp, { scaling: 'divide255', rows: 32 })
    const { dir, proto } = await exportAndVerify('mnistMlp', f)
    expect(ops(proto)).toEqual(['Mul', 'MatMul', 'Add', 'Relu', 'MatMul', 'Add', 'Softmax'])
    const scale = proto.graph!.initializer!.find((t) => t.name === 'input_scaling/scale')!
    expect(scale.dims).toEqual([])
    expect(new Float32Array(Uint8Array.from(scale.rawData!).buffer)[0]).toBeCloseTo(1 / 255, 9)
    expect(readFileSync(join(dir, 'README.md'), 'utf8')).toContain('9: `class_9`')
    f.dispose()
  })

  it('table (S7-like) with a separate Activation layer and binary with BatchNormalization', async () => {
    const table = await fixture(FIXTURE_SPECS.table)
    const t = await exportAndVerify('table', table)
    expect(ops(t.proto)).toEqual(['Sub', 'Mul', 'MatMul', 'Add', 'Relu', 'MatMul', 'Add'])
    expect(t.proto.graph!.initializer!.find((i) => i.name === 'input_scaling/offset')!.dims!.map(Number)).toEqual([8])
    table.dispose()
    const binary = await fixture(FIXTURE_SPECS.binary)
    const b = await exportAndVerify('binary', binary)
    expect(ops(b.proto)).toEqual(['Sub', 'Mul', 'MatMul', 'Add', 'Tanh', 'Sub', 'Mul', 'Add', 'MatMul', 'Add', 'Sigmoid'])
    binary.dispose()
  })

  it('cnn: NCHW only between Transposes around conv/pool, Flatten in NHWC order, epsilon and moving statistics used', async () => {
    const f = await fixture(FIXTURE_SPECS.cnn, { scaling: 'divide255' })
    const { proto } = await exportAndVerify('cnn', f)
    expect(ops(proto)).toEqual(['Mul', 'Transpose', 'Conv', 'Relu', 'MaxPool', 'Conv', 'Transpose', 'Sub', 'Mul', 'Add', 'Flatten', 'MatMul', 'Add', 'Softmax'])
    expect(proto.graph!.input!.map(dims)).toEqual([['batch', 8, 8, 1]])
    f.dispose()
  })

  it('cnn with per-feature scaling: offsets and scales shaped like the input', async () => {
    const f = await fixture(FIXTURE_SPECS.cnn, { scaling: 'standard', seed: 5 })
    const { proto } = await exportAndVerify('cnnStandard', f)
    expect(proto.graph!.initializer!.find((i) => i.name === 'input_scaling/scale')!.dims!.map(Number)).toEqual([8, 8, 1])
    f.dispose()
  })

  it.each(Object.keys(MORE_SPECS))('%s: strides, dilation, same/valid pooling, Reshape, rank-3 Dense, BatchNormalization without beta', async (name) => {
    const f = await fixture(MORE_SPECS[name as keyof typeof MORE_SPECS], { scaling: 'standard', rows: 12 })
    const { proto } = await exportAndVerify(name, f)
    if (name === 'convMix') expect(ops(proto).filter((o) => o === 'Transpose')).toHaveLength(2)
    if (name === 'convValid') expect(proto.graph!.output!.map(dims)).toEqual([['batch', 2, 4, 3]])
    f.dispose()
  })

  it.each(Object.keys(ACTIVATION_SPECS))('activation %s maps exactly', async (name) => {
    const f = await fixture(ACTIVATION_SPECS[name], { scaling: 'none', rows: 24 })
    await exportAndVerify(`act_${name}`, f)
    f.dispose()
  })

  // Issue 11: graphs (skips, merges, branches) and the new layer families, trained a few steps so every weight has moved.
  it.each(Object.keys(GRAPH_SPECS))('graph %s: walks the inbound layers and answers like the app', async (name) => {
    const key = name as keyof typeof GRAPH_SPECS
    const f = await fixture(GRAPH_SPECS[key], GRAPH_OPTIONS[key])
    const { proto } = await exportAndVerify(`graph_${name}`, f)
    const o = ops(proto)
    if (key === 'residualMlp') expect(o).toEqual(['Sub', 'Mul', 'MatMul', 'Add', 'Relu', 'MatMul', 'Add', 'Relu', 'Add', 'MatMul', 'Add', 'Tanh', 'Add', 'MatMul', 'Add', 'Softmax'])
    // The skip Add and the global pooling stay in NCHW: one Transpose in, none out (GlobalAveragePool + Flatten give (batch, channels)).
    if (key === 'residualCnn') expect(o).toEqual(['Mul', 'Transpose', 'Conv', 'Relu', 'Conv', 'Relu', 'Conv', 'Add', 'Relu', 'MaxPool', 'GlobalAveragePool', 'Flatten', 'MatMul', 'Add', 'Softmax'])
    if (key === 'concat') expect(nodesOf(proto, 'Concat').map((n) => [n.input!.length, attr(n, 'axis')])).toEqual([[2, 1]])
    if (key === 'lstm') {
      const [lstm] = nodesOf(proto, 'LSTM')
      expect([attr(lstm, 'hidden_size'), attr(lstm, 'direction'), attr(lstm, 'activations')]).toEqual([5, 'forward', ['Sigmoid', 'Tanh', 'Tanh']])
      expect(o.slice(-5)).toEqual(['LSTM', 'Squeeze', 'MatMul', 'Add', 'Softmax'])
    }
    if (key === 'gru') expect(nodesOf(proto, 'GRU').map((n) => [attr(n, 'hidden_size'), attr(n, 'linear_before_reset')])).toEqual([[4, 0]])
    if (key === 'conv1d') {
      expect(nodesOf(proto, 'Conv').map((n) => attr(n, 'kernel_shape'))).toEqual([[3], [2]])
      expect(o.filter((x) => x === 'Transpose')).toHaveLength(1)
    }
    f.dispose()
  })

  it.each(Object.keys(MORE_GRAPH_SPECS))('graph %s: every merge and layer family maps exactly', async (name) => {
    const key = name as keyof typeof MORE_GRAPH_SPECS
    const f = await fixture(MORE_GRAPH_SPECS[key], { rows: 12, ...MORE_GRAPH_OPTIONS[key] })
    const { proto } = await exportAndVerify(`graph_${name}`, f)
    const o = ops(proto)
    if (key === 'merges') expect(o.filter((x) => ['Sub', 'Mul', 'Mean', 'Max', 'Min', 'Sum'].includes(x)).slice(2)).toEqual(['Sub', 'Mul', 'Mul', 'Mean', 'Max', 'Min', 'Sum'])
    // Concatenating NCHW maps: Keras's channel axis is ONNX's axis 1, the height axis is 2.
    if (key === 'concatConv') expect(nodesOf(proto, 'Concat').map((n) => attr(n, 'axis'))).toEqual([1, 2])
    if (key === 'embeddingLstm') {
      expect(o.slice(0, 2)).toEqual(['Cast', 'Gather'])
      expect(readFileSync(join(root, `graph_${name}`, 'README.md'), 'utf8')).toContain('integer token ids (0 to 11) as float32')
      expect(nodesOf(proto, 'LSTM').map((n) => attr(n, 'activations'))).toEqual([['Sigmoid', 'Tanh', 'Tanh'], ['HardSigmoid', 'Tanh', 'Tanh']])
    }
    if (key === 'bidirectional') {
      expect(['LSTM', 'GRU', 'RNN'].flatMap((t) => nodesOf(proto, t)).map((n) => [n.opType, attr(n, 'direction')])).toEqual([['LSTM', 'bidirectional'], ['GRU', 'bidirectional'], ['GRU', 'bidirectional'], ['RNN', 'bidirectional'], ['RNN', 'forward']])
      expect(o).toEqual(expect.arrayContaining(['ReduceSum', 'ReduceMean', 'ReduceProd']))
    }
    if (key === 'convFamily') {
      expect(nodesOf(proto, 'Conv').map((n) => attr(n, 'group'))).toEqual([2, 4, 1, 2, 1])
      expect(nodesOf(proto, 'ConvTranspose').map((n) => [attr(n, 'pads'), attr(n, 'output_padding')])).toEqual([[[0, 0, 1, 1], [0, 0]], [[0, 0, 0, 0], [1, 0]]])
      expect(o.filter((x) => x === 'Transpose')).toHaveLength(1)
    }
    if (key === 'bilinear') expect(nodesOf(proto, 'ConvTranspose').map((n) => [attr(n, 'pads'), attr(n, 'output_padding')])).toEqual([[[0, 0, 0, 0], [1, 1]]])
    if (key === 'bilinear') expect(nodesOf(proto, 'Resize').map((n) => [attr(n, 'mode'), attr(n, 'coordinate_transformation_mode')])).toEqual([['linear', 'asymmetric'], ['linear', 'asymmetric']])
    // Dropout, SpatialDropout2D and GaussianNoise leave nothing; opset 13 has no LayerNormalization op, so it is spelled out.
    if (key === 'normalization') {
      expect(o).not.toContain('Dropout')
      expect(nodesOf(proto, 'ReduceMean').map((n) => attr(n, 'axes'))).toEqual([[1], [1], [2], [2], [1], [1]])
    }
    f.dispose()
  })

  it('refuses what ONNX\'s recurrent ops cannot hold, and a dilated DepthwiseConv2D (tfjs ignores its dilation), naming the layer and why', async () => {
    const f = await fixture(GRAPH_SPECS.gru, { rows: 2 })
    const dir = join(root, 'refusedRecurrent')
    mkdirSync(dir, { recursive: true })
    const withConfig = (config: Record<string, unknown>): typeof f.model => ({ ...f.model, layers: f.model.layers.map((l, i) => (i === 0 ? { ...l, config: { ...l.config, ...config } } : l)) })
    const selu = await onnxExporter.write(withConfig({ activation: 'selu' }), dir).catch((e: unknown) => e)
    expect(selu).toBeInstanceOf(ExportRefusal)
    expect((selu as ExportRefusal).layer).toEqual({ index: 0, class_name: 'GRU', name: 'gru' })
    expect((selu as Error).message).toMatch(/"gru" \(GRU\): its activation "selu" is not one ONNX's recurrent ops can take/)
    await expect(onnxExporter.write(withConfig({ recurrent_activation: 'linear' }), dir)).rejects.toThrow(/its recurrent_activation "linear" is not one/)
    await expect(onnxExporter.write(withConfig({ reset_after: true }), dir)).rejects.toThrow(/reset_after=true/)
    await expect(onnxExporter.write(withConfig({ go_backwards: true }), dir)).rejects.toThrow(/go_backwards is not supported/)
    const depthwise = await fixture(MORE_GRAPH_SPECS.dilated2d, { rows: 2 })
    const dilated = { ...depthwise.model, layers: depthwise.model.layers.map((l) => (l.class_name === 'DepthwiseConv2D' ? { ...l, config: { ...l.config, dilation_rate: [2, 1] } } : l)) }
    await expect(onnxExporter.write(dilated, dir)).rejects.toThrow(/"dw" \(DepthwiseConv2D\): dilation_rate is not 1/)
    depthwise.dispose()
    expect(existsSync(join(dir, 'model.onnx'))).toBe(false)
    f.dispose()
  })

  it('a table with a categorical column runs with the README\'s own JavaScript example (onnxruntime-node + preprocess.js)', async () => {
    const f = await tableCategoricalFixture()
    const { dir } = await exportAndVerify('tableCategorical', f)
    const script = readmeScript(readFileSync(join(dir, 'README.md'), 'utf8'), '## JavaScript', { "'onnxruntime-node'": JSON.stringify(resolve('node_modules/onnxruntime-node')) })
    writeFileSync(join(dir, 'run.cjs'), script)
    const out = JSON.parse(execFileSync(process.execPath, [join(dir, 'run.cjs')], { cwd: dir, encoding: 'utf8' })) as Array<{ label: string; scores: number[] }>
    expect(out).toHaveLength(RECORDS.length)
    let max = 0
    out.flatMap((r) => r.scores).forEach((v, i) => (max = Math.max(max, Math.abs(v - f.sample.expected[i]))))
    expect(max).toBeLessThan(PARITY_TOLERANCE)
    diffs['tableCategorical(README JS example)'] = max
    expect(out.map((r) => r.label)).toEqual(out.map((r) => ['low', 'mid', 'high'][r.scores.indexOf(Math.max(...r.scores))]))
    f.dispose()
  })

  it('refuses a layer class it cannot hold, naming the layer and the format', async () => {
    const f = await fixture(FIXTURE_SPECS.table, { rows: 2 })
    const dir = join(root, 'refused')
    mkdirSync(dir, { recursive: true })
    const error = await onnxExporter.write(modelWithUnknownLayer(f.model), dir).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ExportRefusal)
    expect((error as ExportRefusal).format).toBe('onnx')
    expect((error as ExportRefusal).layer).toEqual({ index: 1, class_name: 'QuantumEntangler', name: 'entangler_1' })
    expect((error as Error).message).toMatch(/ONNX.*"entangler_1" \(QuantumEntangler\)/)
    expect(existsSync(join(dir, 'model.onnx'))).toBe(false)
    expect(onnxExporter.supports(modelWithUnknownLayer(f.model).layers[1])).toBe(false)
    // An activation it does not know is refused too, not written as something else.
    const odd = { ...f.model, layers: f.model.layers.map((l, i) => (i === 1 ? { ...l, config: { ...l.config, activation: 'mish' } } : l)) }
    await expect(onnxExporter.write(odd, dir)).rejects.toThrow(/activation "mish"/)
    f.dispose()
    // tfjs applies a BatchNormalization on axis 1 along the last axis: the spec refuses it before any run or export.
    expect(validateSpec(BN_AXIS1_SPEC).errors.map((e) => e.message)).toEqual([expect.stringMatching(/layer 1 \(BatchNormalization\): only the last axis .* got 1/)])
  })

  it('every model.onnx passes onnx.checker.check_model(full_check=True) in /usr/bin/python3', (context) => {
    if (!pythonOnnx.ok) context.skip(pythonOnnx.reason)
    expect(written.length).toBeGreaterThan(10)
    const script = [
      'import json, sys, onnx',
      'out = {}',
      'for path in json.loads(sys.argv[1]):',
      '    m = onnx.load(path)',
      '    onnx.checker.check_model(m, full_check=True)',
      '    inferred = onnx.shape_inference.infer_shapes(m, strict_mode=True)',
      '    o = inferred.graph.output[0].type.tensor_type.shape.dim',
      '    out[path] = {"ir": m.ir_version, "opset": [x.version for x in m.opset_import], "output": [d.dim_param or d.dim_value for d in o], "meta": sorted(p.key for p in m.metadata_props)}',
      'print(json.dumps(out))'
    ].join('\n')
    const result = JSON.parse(execFileSync(PYTHON, ['-c', script, JSON.stringify(written.map((w) => w.path))], { encoding: 'utf8' })) as Record<string, { ir: number; opset: number[]; output: Array<string | number>; meta: string[] }>
    // The READMEs' Python examples are valid Python (onnxruntime itself is not installed here to run them).
    const examples = written.map((w) => /```python\n([\s\S]*?)```/.exec(readFileSync(w.readme, 'utf8'))![1])
    execFileSync(PYTHON, ['-c', 'import ast, json, sys\nfor src in json.loads(sys.argv[1]): ast.parse(src)', JSON.stringify(examples)])
    for (const w of written) {
      const r = result[w.path]
      expect(r.ir, w.name).toBe(8)
      expect(r.opset, w.name).toEqual([13])
      expect(r.output, w.name).toEqual(['batch', ...w.outputShape])
      expect(r.meta, w.name).toContain('preprocessing')
    }
    console.log(`export-onnx: onnx ${pythonOnnx.reason} checker passed ${written.length} models; max |Δ| vs the app: ${JSON.stringify(diffs)}`)
  })
})
