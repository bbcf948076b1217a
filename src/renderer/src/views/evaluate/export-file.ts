// The files a run can be exported as (one button each) and the turn of the back end's base64
// answer into a Blob the page can hand to a download link.
import type { EXPORT_FORMATS } from '../../../../shared/contract'

export type ExportFormat = (typeof EXPORT_FORMATS)[number]

/** Buttons in the order shown, with their test ids and whether they need trained weights. */
export const EXPORT_CHOICES: readonly { format: ExportFormat; testid: string; needsWeights: boolean }[] = [
  { format: 'tfjs', testid: 'export-tfjs', needsWeights: true },
  { format: 'keras_script', testid: 'export-keras', needsWeights: false },
  { format: 'metrics_csv', testid: 'export-metrics-csv', needsWeights: false },
  { format: 'metrics_json', testid: 'export-metrics-json', needsWeights: false },
  { format: 'spec_json', testid: 'export-spec-json', needsWeights: false }
]

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
