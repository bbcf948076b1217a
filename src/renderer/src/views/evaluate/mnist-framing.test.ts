// MNIST framing: an off-centre drawing comes out scaled into 20×20 and centred by mass in 28×28.
import { describe, expect, it } from 'vitest'
import { centreOfMass, frameDigit, greyFromRgba, inkBox, MNIST_SIDE } from './mnist-framing'

/** A filled ellipse of ink on a blank canvas. */
function ellipse(width: number, height: number, cx: number, cy: number, rx: number, ry: number) {
  const values = new Float32Array(width * height)
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) if (((x + 0.5 - cx) / rx) ** 2 + ((y + 0.5 - cy) / ry) ** 2 <= 1) values[y * width + x] = 1
  return { width, height, values }
}

describe('frameDigit', () => {
  it('an off-centre tall blob ends centred by mass, its box fitting 20×20 with the long side 20', () => {
    // 280×280 canvas, blob in the top-left corner: 40 wide, 120 tall.
    const framed = frameDigit(ellipse(280, 280, 50, 80, 20, 60))!
    expect(framed).toHaveLength(784)
    const box = inkBox({ width: MNIST_SIDE, height: MNIST_SIDE, values: framed.map((v) => v / 255) }, 0)!
    expect(box.y1 - box.y0).toBe(20)
    expect(box.x1 - box.x0).toBeLessThanOrEqual(8)
    expect(box.x1 - box.x0).toBeGreaterThanOrEqual(6)
    const com = centreOfMass(framed, MNIST_SIDE)!
    expect(Math.abs(com.x - 13.5)).toBeLessThanOrEqual(0.5)
    expect(Math.abs(com.y - 13.5)).toBeLessThanOrEqual(0.5)
    expect(Math.max(...framed)).toBe(255)
    expect(Math.min(...framed)).toBe(0)
  })

  it('a wide stroke in the bottom-right is scaled so its width is 20, and centred', () => {
    const framed = frameDigit(ellipse(200, 200, 160, 170, 30, 8))!
    const box = inkBox({ width: MNIST_SIDE, height: MNIST_SIDE, values: framed.map((v) => v / 255) }, 0)!
    expect(box.x1 - box.x0).toBe(20)
    expect(box.y1 - box.y0).toBeLessThanOrEqual(6)
    const com = centreOfMass(framed, MNIST_SIDE)!
    expect(Math.abs(com.x - 13.5)).toBeLessThanOrEqual(0.5)
    expect(Math.abs(com.y - 13.5)).toBeLessThanOrEqual(0.5)
  })

  it('a blank canvas gives nothing to predict; RGBA white on black reads as ink', () => {
    expect(frameDigit({ width: 10, height: 10, values: new Float32Array(100) })).toBeNull()
    const rgba = new Uint8ClampedArray(4 * 4 * 4)
    rgba.set([255, 255, 255, 255], (1 * 4 + 2) * 4)
    const grey = greyFromRgba(rgba, 4, 4)
    expect(grey.values[6]).toBeCloseTo(1, 6)
    expect(grey.values[0]).toBe(0)
    expect(inkBox(grey)).toEqual({ x0: 2, y0: 1, x1: 3, y1: 2 })
  })
})
