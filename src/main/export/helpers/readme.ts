// README pieces every export shares: what the model takes (raw values, the columns or the image)
// and what it gives (class names in output order, threshold, values), from preprocessing.json.
import type { ExportModel } from '../types'

/** Markdown lines describing the model's raw input. `scalingInModel`: whether the file applies the numeric scaling itself. */
export function inputSection(model: ExportModel, scalingInModel: boolean): string[] {
  const pre = model.preprocessing
  const shape = `[batch, ${model.input_shape.join(', ')}]`
  const lines = [`## Input`, '', `One float32 tensor of shape \`${shape}\`.`]
  if (pre.kind === 'image' && pre.image) {
    lines.push(`Images of ${pre.image.height} × ${pre.image.width} × ${pre.image.channels} (height × width × channels), pixel values as stored (${pre.image.pixel_range[0]}–${pre.image.pixel_range[1]}).`)
  } else if (pre.kind === 'table' && pre.columns.length > 0) {
    lines.push(`Features in this order (\`preprocess.js\` builds them from a record by column name):`, '')
    for (const column of pre.columns) {
      if (column.kind === 'numeric') lines.push(`* \`${column.name}\`: number${column.fill !== null ? ` (missing → ${column.fill})` : ''}`)
      else lines.push(`* \`${column.name}\`: one-hot over ${column.categories.map((c) => `\`${c}\``).join(', ')}`)
    }
  }
  lines.push('')
  if (model.scaling) {
    lines.push(
      scalingInModel
        ? 'Feed RAW values: the numeric scaling the model was trained with is the first step inside the model file.'
        : 'The model file does NOT hold the numeric scaling: apply `(raw − offset) · scale` per feature with the constants in `preprocessing.json` (`preprocess.js` does it).'
    )
  } else {
    lines.push('The model was trained on the values as they are (no scaling).')
  }
  return lines
}

/** Markdown lines describing the model's output. */
export function outputSection(model: ExportModel): string[] {
  const out = model.preprocessing.output
  const lines = ['## Output', '']
  if (out.kind === 'probabilities' && out.size === 1) {
    lines.push(`One probability per row: of \`${out.class_names[1] ?? 'positive'}\` (≥ ${out.threshold ?? 0.5}), else \`${out.class_names[0] ?? 'negative'}\`.`)
  } else if (out.kind === 'probabilities') {
    lines.push(`${out.size} class probabilities per row, in this order: ${out.class_names.map((c, i) => `${i}: \`${c}\``).join(', ')}.`)
  } else {
    lines.push(`${out.size} value${out.size === 1 ? '' : 's'} per row (regression).`)
  }
  return lines
}

/** Header lines naming the run, its weights and the data set. */
export function headerSection(model: ExportModel, title: string): string[] {
  const m = model.meta
  return [
    `# ${m.model_name}: ${title}`,
    '',
    `Exported by Model Workbench ${m.app_version} on ${m.created_at} from run \`${m.run_id}\` (${m.run_name}), ` +
      `${m.weights} weights${m.epoch !== null ? ` (epoch ${m.epoch})` : ''}, trained on \`${m.dataset_name}\` (${m.dataset_fingerprint}).`,
    ''
  ]
}
