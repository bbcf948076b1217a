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
