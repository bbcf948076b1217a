// The one check every exporter that bakes the input scaling in makes first.
import { ExportRefusal, type InputScaling } from '../types'

/**
 * Refuses (ExportRefusal) a per-feature scaling that does not cover the model's input, one offset
 * and one scale per input feature: the data set's description no longer matches the model.
 * `what` opens the message ("ONNX export").
 */
export function checkScalingSize(format: string, what: string, inputShape: number[], scaling: InputScaling): void {
  const features = inputShape.reduce((a, b) => a * b, 1)
  if (scaling.offset.length === features && scaling.scale.length === features) return
  throw new ExportRefusal(format, null, `${what}: the input scaling has ${scaling.offset.length} offsets and ${scaling.scale.length} scales for ${features} input features; re-import the data set and train the model on it again.`)
}
