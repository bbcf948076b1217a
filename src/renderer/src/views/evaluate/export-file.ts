// The files a run can be exported as (one button each), how a verification reads, and the turn of
// the back end's base64 answer into a Blob the page can hand to a download link.
import type { ExportFormat, ExportVerification } from '../../../../shared/contract'

export type { ExportFormat } from '../../../../shared/contract'

export interface ExportChoice {
  format: ExportFormat
  testid: string
  /** Needs trained weights (the model formats and the training job seeded from them). */
  needsWeights: boolean
  group: 'model' | 'script' | 'record'
}

/** Buttons in the order shown: trained models first (each verified on held-out rows), then scripts, then records. */
export const EXPORT_CHOICES: readonly ExportChoice[] = [
  { format: 'tfjs', testid: 'export-tfjs', needsWeights: true, group: 'model' },
  { format: 'keras', testid: 'export-keras3', needsWeights: true, group: 'model' },
  { format: 'h5', testid: 'export-h5', needsWeights: true, group: 'model' },
  { format: 'onnx', testid: 'export-onnx', needsWeights: true, group: 'model' },
  { format: 'pytorch', testid: 'export-pytorch', needsWeights: true, group: 'model' },
  { format: 'keras_script', testid: 'export-keras', needsWeights: true, group: 'script' },
  { format: 'torch_job', testid: 'export-torch-job', needsWeights: true, group: 'script' },
  { format: 'metrics_csv', testid: 'export-metrics-csv', needsWeights: false, group: 'record' },
  { format: 'metrics_json', testid: 'export-metrics-json', needsWeights: false, group: 'record' },
  { format: 'spec_json', testid: 'export-spec-json', needsWeights: false, group: 'record' }
]

/** How close an export's answers came to the app's: 'ok' within float32 noise, 'unverified' when no reader ran. */
export function verificationState(v: ExportVerification | null): 'ok' | 'unverified' | 'none' {
  if (!v) return 'none'
  return v.verified_by && v.max_abs_diff !== null ? 'ok' : 'unverified'
}

/** 3.1e-7 style, for max |Δ|. */
export function formatDelta(value: number | null): string {
  if (value === null) return '–'
  if (value === 0) return '0'
  return value.toExponential(1)
}

export function base64ToBytes(base64: string): Uint8Array<ArrayBuffer> {
  const binary = atob(base64)
  const bytes = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
  return bytes
}

export function exportBlob(file: { mime: string; data_base64: string }): Blob {
  return new Blob([base64ToBytes(file.data_base64)], { type: file.mime || 'application/octet-stream' })
}

/** "1.2 MB" style sizes for the note under an export that just finished. */
export function byteSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`
}
