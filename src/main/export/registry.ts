// Every model export format, in one table: adding a format is adding a module to ./formats and a
// line here. Formats without a model (metrics, spec) are written by the service from the store.
import { h5Exporter } from './formats/h5'
import { kerasExporter } from './formats/keras'
import { kerasScriptExporter } from './formats/keras-script'
import { onnxExporter } from './formats/onnx'
import { pytorchExporter } from './formats/pytorch'
import { tfjsExporter } from './formats/tfjs'
import { torchJobExporter } from './formats/torch-job'
import type { Exporter } from './types'

const MODEL_EXPORTERS: Exporter[] = [tfjsExporter, kerasExporter, h5Exporter, onnxExporter, pytorchExporter, kerasScriptExporter, torchJobExporter]

export function modelExporter(id: string): Exporter | undefined {
  return MODEL_EXPORTERS.find((exporter) => exporter.id === id)
}

export function modelExporters(): readonly Exporter[] {
  return MODEL_EXPORTERS
}
