// Every model export format, in one table: adding a format is adding a module to ./formats and a
// line here. Formats without a model (metrics, spec) are written by the service from the store.
import { onnxExporter } from './formats/onnx'
import { pytorchExporter } from './formats/pytorch'
import type { Exporter } from './types'

const MODEL_EXPORTERS: Exporter[] = [onnxExporter, pytorchExporter]

export function modelExporter(id: string): Exporter | undefined {
  return MODEL_EXPORTERS.find((exporter) => exporter.id === id)
}

export function modelExporters(): readonly Exporter[] {
  return MODEL_EXPORTERS
}
