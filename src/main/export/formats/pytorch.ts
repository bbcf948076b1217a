// PyTorch: a self-contained model.py (an nn.Module rebuilt from the spec, the data set's scaling
// baked in as buffers), the weights as model.safetensors (read by model.py with the standard library
// and torch), preprocessing.json, a standard-library preprocess.py and a README. Verified by running
// the folder's own load_model() in python3 with torch on the held-out raw rows.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { maxAbsDiff, type ExportModel, type ExportSample, type Exporter, type Verification } from '../types'
import { encodeSafetensors } from '../helpers/safetensors'
import { preprocessPy } from '../helpers/preprocess-py'
import { findPythonTorch, runPython } from '../helpers/python-torch'
import { LAYOUT_METADATA_KEY, modelPy, planTorchModule, stateTensors, torchSupports, type TorchPlan } from '../helpers/torch-module'

const FORMAT = 'pytorch'

/** The safetensors metadata every torch file of ours carries (strings only, as the format wants). */
export function torchMetadata(model: ExportModel, plan: TorchPlan, extra: Record<string, string> = {}): Record<string, string> {
  return {
    format: 'pt',
    producer: `model-workbench ${model.meta.app_version}`,
    run_id: model.meta.run_id,
    weights: model.meta.weights,
    epoch: model.meta.epoch === null ? '' : String(model.meta.epoch),
    [LAYOUT_METADATA_KEY]: JSON.stringify(plan.layout),
    ...extra
  }
}

function readme(model: ExportModel): string {
  const pre = model.preprocessing
  const features = model.input_shape.reduce((a, b) => a * b, 1)
  const classes = pre.output.class_names.length ? `Outputs: ${pre.output.kind} for ${pre.output.class_names.map((c) => `\`${c}\``).join(', ')}${pre.output.threshold !== null ? ` (positive when ≥ ${pre.output.threshold})` : ''}.` : `Outputs: ${pre.output.size} value(s) (regression).`
  return `# ${model.spec.name} — PyTorch export

From Model Workbench run \`${model.meta.run_id}\` (${model.meta.run_name}), **${model.meta.weights} weights**${model.meta.epoch !== null ? ` of epoch ${model.meta.epoch}` : ''}, trained on \`${model.meta.dataset_name}\` (${model.meta.dataset_fingerprint}).

| file | what |
|---|---|
| \`model.py\` | the network as a \`torch.nn.Module\` (torch 1.13+), its safetensors reader and \`load_model()\` |
| \`model.safetensors\` | the weights (float32, PyTorch layout: Dense and recurrent kernels transposed to (out, in), convolution kernels to (out, in, k…), depthwise ones to groups = channels; an LSTM or SimpleRNN's one Keras bias in \`bias_ih\`, \`bias_hh\` zero) |
| \`preprocessing.json\` | columns, one-hot vocabularies, scaling, class names |
| \`preprocess.py\` | raw records → model input (standard library only) |

\`\`\`python
import torch
from model import load_model
model = load_model()                      # eval mode, load_state_dict(strict=True)
x = torch.tensor(rows, dtype=torch.float32)   # [batch, ${model.input_shape.join(', ')}] or [batch, ${features}]
with torch.no_grad():
    y = model(x)
\`\`\`

The model takes **raw** inputs, channels last (NHWC) like the app: ${model.scaling ? "the data set's scaling (model_input = (raw − offset) · scale) is applied inside, as the buffers `input_offset` and `input_scale`." : 'it was trained on its inputs as they are (no scaling).'}
${pre.columns.some((c) => c.kind === 'categorical') ? 'Categorical columns must be one-hot encoded first: `preprocess.encode_records(preprocess.read_csv("rows.csv"))`.\n' : ''}${classes}

\`Model.network()\` follows the model's graph: one variable per layer, named after it (merges are torch ops: \`+\`, \`torch.cat\`, …); tfjs's GRU (Keras's reset_after=False) and recurrent layers with other activations run step by step in \`KerasRecurrent\`, as nn.GRU computes the reset gate otherwise.

No \`safetensors\` package is needed: \`model.py\` reads the file with \`struct\`/\`json\` and \`torch.frombuffer\`.
`
}

export const pytorchExporter: Exporter = {
  id: FORMAT,
  label: 'PyTorch (model.py + safetensors)',
  holds: ['model.py (nn.Module)', 'model.safetensors (weights)', 'preprocessing.json', 'preprocess.py', 'README.md'],
  supports: torchSupports,

  async write(model: ExportModel, dir: string): Promise<string[]> {
    const plan = planTorchModule(model, FORMAT)
    const tensors = stateTensors(model, plan, FORMAT)
    await writeFile(join(dir, 'model.py'), modelPy(model, plan))
    await writeFile(join(dir, 'model.safetensors'), encodeSafetensors(tensors, torchMetadata(model, plan)))
    await writeFile(join(dir, 'preprocessing.json'), JSON.stringify(model.preprocessing, null, 2) + '\n')
    await writeFile(join(dir, 'preprocess.py'), preprocessPy(model.preprocessing))
    await writeFile(join(dir, 'README.md'), readme(model))
    return ['model.py', 'model.safetensors', 'preprocessing.json', 'preprocess.py', 'README.md']
  },

  verify(_model: ExportModel, dir: string, sample: ExportSample): Promise<Verification> {
    return verifyTorchFolder(dir, sample)
  }
}

const VERIFY_SCRIPT = `
import importlib.util, json, os, sys
import torch
torch.set_num_threads(1)
folder, raw_path, rows, features, out_path = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
spec = importlib.util.spec_from_file_location('workbench_export_model', os.path.join(folder, 'model.py'))
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
model = module.load_model(folder)
with open(raw_path, 'rb') as f:
    x = torch.frombuffer(bytearray(f.read()), dtype=torch.float32).reshape(rows, features)
with torch.no_grad():
    y = model(x)
with open(out_path, 'wb') as f:
    f.write(y.detach().to(torch.float32).contiguous().reshape(-1).numpy().astype('<f4').tobytes())
print(json.dumps({'torch': torch.__version__, 'shape': list(y.shape), 'training': model.training}))
`

function littleEndian(values: Float32Array): Uint8Array {
  const out = new Uint8Array(values.length * 4)
  const view = new DataView(out.buffer)
  for (let i = 0; i < values.length; i++) view.setFloat32(4 * i, values[i], true)
  return out
}

/** Runs the folder's model.py load_model() on sample.raw in python3 with torch and compares with sample.expected. */
export async function verifyTorchFolder(dir: string, sample: ExportSample): Promise<Verification> {
  const python = await findPythonTorch()
  if (!python) return { verified_by: null, max_abs_diff: null, rows: 0, note: 'not verified: python3 with torch not found' }
  if (sample.rows === 0) return { verified_by: null, max_abs_diff: null, rows: 0, note: 'not verified: no held-out rows to compare' }
  const scratch = await mkdtemp(join(tmpdir(), 'workbench-torch-verify-'))
  try {
    const rawPath = join(scratch, 'raw.f32')
    const outPath = join(scratch, 'out.f32')
    await writeFile(rawPath, littleEndian(sample.raw))
    const result = await runPython(python.python, ['-c', VERIFY_SCRIPT, dir, rawPath, String(sample.rows), String(sample.features), outPath], { timeoutMs: 120_000 })
    if (result.code !== 0) {
      const last = result.stderr.trim().split('\n').slice(-3).join(' ')
      return { verified_by: `torch ${python.torchVersion} (${python.python})`, max_abs_diff: null, rows: sample.rows, note: `failed: model.py did not run: ${last}` }
    }
    const bytes = await readFile(outPath)
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    const outputs = new Float32Array(bytes.byteLength / 4)
    for (let i = 0; i < outputs.length; i++) outputs[i] = view.getFloat32(4 * i, true)
    const diff = maxAbsDiff(outputs, sample.expected)
    const info = JSON.parse(result.stdout.trim().split('\n').pop() ?? '{}') as { torch?: string; shape?: number[] }
    const label = python.python === '/usr/bin/python3' || python.python === 'python3' ? 'python3' : python.python
    return {
      verified_by: `torch ${info.torch ?? python.torchVersion} (${label})`,
      max_abs_diff: diff,
      rows: sample.rows,
      note: outputs.length !== sample.expected.length ? `output shape [${(info.shape ?? []).join(', ')}] does not match the app's ${sample.rows} × ${sample.outputs}` : null
    }
  } finally {
    await rm(scratch, { recursive: true, force: true })
  }
}
