// Feature scaling fitted on the training rows only (no peeking at validation or test) and
// applied to every split: stored = (raw - offset) * scale. Columns that do not vary get
// scale 0, so they become 0 instead of a division by zero.
export type Scaling = 'none' | 'minmax' | 'standard' | 'divide255'

export interface Scaler {
  offset: number[]
  scale: number[]
}

/** `scaled` says which columns to scale (one-hot columns stay 0/1). */
export function fitScaler(kind: Scaling, x: Float32Array, width: number, scaled: boolean[]): Scaler | null {
  if (kind === 'none') return null
  return fitColumnScaler(scaled.map((on) => (on ? kind : 'none')), x, width)
}

/** One scaling per column ('none' leaves it as it is); null when every column is 'none'. */
export function fitColumnScaler(kinds: readonly Scaling[], x: Float32Array, width: number): Scaler | null {
  if (kinds.every((kind) => kind === 'none')) return null
  const rows = width === 0 ? 0 : x.length / width
  const offset = new Array<number>(width).fill(0)
  const scale = new Array<number>(width).fill(1)
  for (let c = 0; c < width; c++) {
    const kind = kinds[c] ?? 'none'
    if (kind === 'none') continue
    if (kind === 'divide255') {
      scale[c] = 1 / 255
      continue
    }
    let min = Infinity
    let max = -Infinity
    let sum = 0
    for (let r = 0; r < rows; r++) {
      const v = x[r * width + c]
      if (v < min) min = v
      if (v > max) max = v
      sum += v
    }
    if (rows === 0) continue
    if (kind === 'minmax') {
      offset[c] = min
      scale[c] = max > min ? 1 / (max - min) : 0
    } else {
      const mean = sum / rows
      let squares = 0
      for (let r = 0; r < rows; r++) squares += (x[r * width + c] - mean) ** 2
      const std = Math.sqrt(squares / rows)
      offset[c] = mean
      scale[c] = std > 0 ? 1 / std : 0
    }
  }
  return { offset, scale }
}

export function applyScaler(scaler: Scaler, x: Float32Array, width: number): void {
  for (let i = 0; i < x.length; i++) {
    const c = i % width
    x[i] = (x[i] - scaler.offset[c]) * scaler.scale[c]
  }
}
