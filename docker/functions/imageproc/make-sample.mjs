// Writes a synthetic test JPEG: a soft gradient background with a little noise and a few solid
// shapes (so there are strong edges to find). Deterministic for a given seed.
//
//   node make-sample.mjs OUT.jpg [WIDTH] [HEIGHT] [--seed N] [--quality Q]
//   (defaults: 640 480, seed 1, quality 90)
//
// Also importable: `import { makeSample } from './make-sample.mjs'` -> Buffer.
import { writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import jpeg from 'jpeg-js'

function mulberry32 (seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export function makeSample ({ width = 640, height = 480, seed = 1, quality = 90 } = {}) {
  const rnd = mulberry32(seed)
  const data = new Uint8Array(width * height * 4)
  // Background: diagonal gradient plus mild noise (texture that should stay below the edge threshold).
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = (y * width + x) * 4
      const t = (x / width + y / height) / 2
      const n = (rnd() - 0.5) * 10
      data[p] = 40 + 60 * t + n
      data[p + 1] = 70 + 50 * t + n
      data[p + 2] = 110 + 40 * (1 - t) + n
      data[p + 3] = 255
    }
  }
  const fill = (inside, [r, g, b]) => {
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        if (!inside(x, y)) continue
        const p = (y * width + x) * 4
        data[p] = r; data[p + 1] = g; data[p + 2] = b
      }
    }
  }
  const sx = width / 640; const sy = height / 480
  const s = Math.min(sx, sy)
  // A rectangle, two discs (a "face" and a ball), a triangle, a thin bar.
  fill((x, y) => x >= 60 * sx && x < 220 * sx && y >= 60 * sy && y < 180 * sy, [235, 200, 40])
  fill((x, y) => (x - 420 * sx) ** 2 + (y - 140 * sy) ** 2 < (75 * s) ** 2, [240, 225, 210])
  fill((x, y) => (x - 395 * sx) ** 2 + (y - 120 * sy) ** 2 < (10 * s) ** 2, [20, 20, 30])
  fill((x, y) => (x - 445 * sx) ** 2 + (y - 120 * sy) ** 2 < (10 * s) ** 2, [20, 20, 30])
  fill((x, y) => Math.abs(x - 420 * sx) < 30 * s && Math.abs(y - 175 * sy) < 5 * s, [170, 30, 40])
  fill((x, y) => (x - 160 * sx) ** 2 + (y - 360 * sy) ** 2 < (60 * s) ** 2, [60, 10, 10])
  fill((x, y) => {
    // Triangle with corners (380,420) (560,420) (470,280), scaled.
    const u = x / sx; const v = y / sy
    return v <= 420 && v >= 280 + Math.abs(u - 470) * (140 / 90)
  }, [130, 245, 150])
  fill((x, y) => x >= 580 * sx && x < 600 * sx && y >= 40 * sy && y < 440 * sy, [250, 250, 250])
  const out = jpeg.encode({ data, width, height }, quality)
  return Buffer.from(out.data.buffer, out.data.byteOffset, out.data.byteLength)
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2)
  const opt = (name, def) => {
    const i = args.indexOf(name)
    if (i === -1) return def
    const v = Number(args[i + 1])
    args.splice(i, 2)
    return v
  }
  const seed = opt('--seed', 1)
  const quality = opt('--quality', 90)
  const [out, w, h] = args
  if (out == null) {
    process.stderr.write('usage: node make-sample.mjs OUT.jpg [WIDTH] [HEIGHT] [--seed N] [--quality Q]\n')
    process.exit(2)
  }
  const width = w != null ? Number(w) : 640
  const height = h != null ? Number(h) : 480
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) {
    process.stderr.write('WIDTH and HEIGHT must be positive integers\n')
    process.exit(2)
  }
  const buf = makeSample({ width, height, seed, quality })
  writeFileSync(out, buf)
  process.stdout.write(`${out}: ${width}x${height}, ${buf.length} bytes\n`)
}
