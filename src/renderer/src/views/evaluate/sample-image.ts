// One image sample as RGBA pixels for a canvas: grey or colour, stretched to the sample's own
// value range so 0–1, 0–255 and standardised sets all look right.

export function samplePixels(features: readonly number[], imageShape: readonly number[]): { width: number; height: number; rgba: Uint8ClampedArray<ArrayBuffer> } {
  const [height = 0, width = 0, channels = 1] = imageShape
  const rgba = new Uint8ClampedArray(width * height * 4)
  let min = Infinity
  let max = -Infinity
  for (const value of features) {
    if (value < min) min = value
    if (value > max) max = value
  }
  if (!Number.isFinite(min)) min = 0
  const range = max > min ? max - min : 1
  for (let p = 0; p < width * height; p++) {
    for (let c = 0; c < 3; c++) {
      const value = features[p * channels + (channels >= 3 ? c : 0)] ?? min
      rgba[p * 4 + c] = Math.round(((value - min) / range) * 255)
    }
    rgba[p * 4 + 3] = 255
  }
  return { width, height, rgba }
}

/** Draws each sample into its canvas (`canvasAt(i)`; a missing canvas is skipped); nothing for a set without an image shape. */
export function paintSamples(canvasAt: (index: number) => HTMLCanvasElement | null | undefined, samples: readonly (readonly number[])[], imageShape: readonly number[] | null | undefined): void {
  if (!imageShape) return
  samples.forEach((features, i) => {
    const canvas = canvasAt(i)
    const context = canvas?.getContext('2d')
    if (!canvas || !context) return
    const { width, height, rgba } = samplePixels(features, imageShape)
    canvas.width = width
    canvas.height = height
    context.putImageData(new ImageData(rgba, width, height), 0, 0)
  })
}
