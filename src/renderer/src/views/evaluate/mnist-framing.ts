// A digit drawn on a canvas framed as MNIST's digits were: the ink's bounding box scaled (aspect
// kept, anti-aliased by area averaging) so its longer side is 20 pixels, then placed in a 28×28
// field with its centre of mass at the field's centre. Out come 784 raw pixel values 0–255, white
// ink on black, row-major — the raw input `runs.predict` takes for MNIST models.

export const MNIST_SIDE = 28
export const MNIST_BOX = 20

export interface Grey {
  width: number
  height: number
  /** Ink intensity 0–1 per pixel, row-major. */
  values: ArrayLike<number>
}

/** Ink (0–1) from RGBA pixels: white strokes on black read as their brightness. */
export function greyFromRgba(rgba: ArrayLike<number>, width: number, height: number): Grey {
  const values = new Float32Array(width * height)
  for (let p = 0; p < values.length; p++) values[p] = (0.299 * rgba[p * 4]! + 0.587 * rgba[p * 4 + 1]! + 0.114 * rgba[p * 4 + 2]!) / 255
  return { width, height, values }
}

/** Bounding box of the pixels with ink above `floor`, or null when the canvas is blank. */
export function inkBox(image: Grey, floor = 0.05): { x0: number; y0: number; x1: number; y1: number } | null {
  let x0 = Infinity
  let y0 = Infinity
  let x1 = -Infinity
  let y1 = -Infinity
  for (let y = 0; y < image.height; y++) {
    for (let x = 0; x < image.width; x++) {
      if (image.values[y * image.width + x]! <= floor) continue
      if (x < x0) x0 = x
      if (x > x1) x1 = x
      if (y < y0) y0 = y
      if (y > y1) y1 = y
    }
  }
  return Number.isFinite(x0) ? { x0, y0, x1: x1 + 1, y1: y1 + 1 } : null
}

/** Centre of mass (pixel-centre coordinates) of a row-major image; null when it has no ink. */
export function centreOfMass(values: ArrayLike<number>, width: number): { x: number; y: number } | null {
  let mass = 0
  let sx = 0
  let sy = 0
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!
    if (v <= 0) continue
    mass += v
    sx += v * (i % width)
    sy += v * Math.floor(i / width)
  }
  return mass > 0 ? { x: sx / mass, y: sy / mass } : null
}

/** The drawing as MNIST frames a digit: 784 values 0–255, or null for a blank canvas. */
export function frameDigit(image: Grey): number[] | null {
  const box = inkBox(image)
  if (!box) return null
  const bw = box.x1 - box.x0
  const bh = box.y1 - box.y0
  const scale = MNIST_BOX / Math.max(bw, bh)
  const w = Math.max(1, Math.min(MNIST_BOX, Math.round(bw * scale)))
  const h = Math.max(1, Math.min(MNIST_BOX, Math.round(bh * scale)))
  // Area average: every source pixel adds to the target pixel its centre falls in.
  const sum = new Float64Array(w * h)
  const count = new Float64Array(w * h)
  for (let y = box.y0; y < box.y1; y++) {
    const ty = Math.min(h - 1, Math.floor((y - box.y0 + 0.5) * scale))
    for (let x = box.x0; x < box.x1; x++) {
      const tx = Math.min(w - 1, Math.floor((x - box.x0 + 0.5) * scale))
      sum[ty * w + tx] += image.values[y * image.width + x]!
      count[ty * w + tx] += 1
    }
  }
  const small = new Float64Array(w * h)
  for (let ty = 0; ty < h; ty++) {
    for (let tx = 0; tx < w; tx++) {
      const i = ty * w + tx
      if (count[i]! > 0) small[i] = sum[i]! / count[i]!
      else {
        // Upscaling a tiny drawing: the nearest source pixel.
        const sx = Math.min(box.x1 - 1, box.x0 + Math.floor((tx + 0.5) / scale))
        const sy = Math.min(box.y1 - 1, box.y0 + Math.floor((ty + 0.5) / scale))
        small[i] = image.values[sy * image.width + sx]!
      }
    }
  }
  // Centre of mass of the scaled digit to the field's centre, keeping the whole box inside the field.
  const com = centreOfMass(small, w) ?? { x: (w - 1) / 2, y: (h - 1) / 2 }
  const centre = (MNIST_SIDE - 1) / 2
  const left = Math.max(0, Math.min(MNIST_SIDE - w, Math.round(centre - com.x)))
  const top = Math.max(0, Math.min(MNIST_SIDE - h, Math.round(centre - com.y)))
  const out = new Array<number>(MNIST_SIDE * MNIST_SIDE).fill(0)
  for (let ty = 0; ty < h; ty++) {
    for (let tx = 0; tx < w; tx++) out[(top + ty) * MNIST_SIDE + left + tx] = Math.round(Math.min(1, Math.max(0, small[ty * w + tx]!)) * 255)
  }
  return out
}
