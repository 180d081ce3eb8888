// imageproc: JPEG in; the regions with the strongest edges found and boxed. A pure-JS stand-in for
// the original P2PFaaS benchmark function (pigo face detection): CPU-bound, tens to a couple of
// hundred ms per 640x480 image, JPEG or JSON out.
//
//   POST body: a JPEG (at most 16 MiB, at most 4096x4096)
//   ?output=image (default)  the input with the boxes drawn, JPEG quality 80 (?quality=1..100)
//   ?output=image&draw=edges the edge map with the boxes drawn instead of the input
//   ?output=json             { width, height, boxes: [{x,y,w,h,score}], edgeDensity, ms, ... }
//   bad input                400 {"error": "..."}
//
// Pipeline: decode (jpeg-js) -> grayscale (box-downscaled so the long side is at most 1024 px)
// -> 5x5 binomial (Gaussian) blur -> Sobel magnitude -> edge pixels above max(48, mean + 2 sd)
// -> coarse grid of edge density -> dense cells (above max(0.04, mean + 0.5 sd)) -> 8-connected
// groups of cells -> boxes, scored by their share of all edge pixels, strongest first.
import jpeg from 'jpeg-js'

const MAX_BYTES = 16 * 1024 * 1024
const MAX_SIDE = 4096
const ANALYSIS_SIDE = 1024
const MAX_BOXES = 16

class BadInput extends Error {}

function jsonResponse (status, obj, extra = {}) {
  return { status, headers: { 'content-type': 'application/json', ...extra }, body: JSON.stringify(obj) }
}

/** Width and height from the first SOFn marker, without decoding; throws BadInput if not a JPEG. */
export function jpegSize (buf) {
  if (buf.length < 4 || buf[0] !== 0xff || buf[1] !== 0xd8 || buf[2] !== 0xff) throw new BadInput('not a JPEG (no SOI marker)')
  let i = 2
  while (i + 3 < buf.length) {
    if (buf[i] !== 0xff) throw new BadInput('not a JPEG (corrupt marker stream)')
    const marker = buf[i + 1]
    if (marker === 0xff) { i++; continue } // fill byte
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) { i += 2; continue } // no length
    if (marker === 0xd9 || marker === 0xda) break // EOI / SOS before any SOF
    const len = (buf[i + 2] << 8) | buf[i + 3]
    if (len < 2) throw new BadInput('not a JPEG (bad segment length)')
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc
    if (isSof) {
      if (i + 8 >= buf.length) break
      return { height: (buf[i + 5] << 8) | buf[i + 6], width: (buf[i + 7] << 8) | buf[i + 8] }
    }
    i += 2 + len
  }
  throw new BadInput('not a JPEG (no frame header)')
}

/** Luminance, box-averaged by `s` in each direction. */
function grayscale (rgba, w, h, s) {
  const aw = Math.max(1, Math.floor(w / s))
  const ah = Math.max(1, Math.floor(h / s))
  const g = new Float32Array(aw * ah)
  const norm = 1 / (s * s)
  for (let y = 0; y < ah; y++) {
    for (let x = 0; x < aw; x++) {
      let sum = 0
      for (let dy = 0; dy < s; dy++) {
        let p = (((y * s + dy) * w) + x * s) * 4
        for (let dx = 0; dx < s; dx++, p += 4) sum += 0.299 * rgba[p] + 0.587 * rgba[p + 1] + 0.114 * rgba[p + 2]
      }
      g[y * aw + x] = sum * norm
    }
  }
  return { g, aw, ah }
}

/** Separable 5-tap binomial blur [1 4 6 4 1]/16 (a Gaussian with sigma ~1), edges clamped. */
function blur (src, w, h) {
  const tmp = new Float32Array(w * h)
  const out = new Float32Array(w * h)
  const k0 = 6 / 16; const k1 = 4 / 16; const k2 = 1 / 16
  for (let y = 0; y < h; y++) {
    const row = y * w
    for (let x = 0; x < w; x++) {
      const xm2 = x < 2 ? 0 : x - 2; const xm1 = x < 1 ? 0 : x - 1
      const xp1 = x + 1 >= w ? w - 1 : x + 1; const xp2 = x + 2 >= w ? w - 1 : x + 2
      tmp[row + x] = k2 * (src[row + xm2] + src[row + xp2]) + k1 * (src[row + xm1] + src[row + xp1]) + k0 * src[row + x]
    }
  }
  for (let y = 0; y < h; y++) {
    const ym2 = (y < 2 ? 0 : y - 2) * w; const ym1 = (y < 1 ? 0 : y - 1) * w
    const yp1 = (y + 1 >= h ? h - 1 : y + 1) * w; const yp2 = (y + 2 >= h ? h - 1 : y + 2) * w
    const row = y * w
    for (let x = 0; x < w; x++) {
      out[row + x] = k2 * (tmp[ym2 + x] + tmp[yp2 + x]) + k1 * (tmp[ym1 + x] + tmp[yp1 + x]) + k0 * tmp[row + x]
    }
  }
  return out
}

/** Sobel gradient magnitude; the one-pixel border is 0. */
function sobel (src, w, h) {
  const mag = new Float32Array(w * h)
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      const i = y * w + x
      const a = src[i - w - 1]; const b = src[i - w]; const c = src[i - w + 1]
      const d = src[i - 1]; const f = src[i + 1]
      const g = src[i + w - 1]; const hh = src[i + w]; const k = src[i + w + 1]
      const gx = (c + 2 * f + k) - (a + 2 * d + g)
      const gy = (g + 2 * hh + k) - (a + 2 * b + c)
      mag[i] = Math.sqrt(gx * gx + gy * gy)
    }
  }
  return mag
}

function meanSd (arr) {
  let sum = 0; let sq = 0
  for (let i = 0; i < arr.length; i++) { sum += arr[i]; sq += arr[i] * arr[i] }
  const mean = sum / arr.length
  return { mean, sd: Math.sqrt(Math.max(0, sq / arr.length - mean * mean)) }
}

/** Edge analysis at analysis scale: threshold, grid density, connected dense cells -> boxes. */
export function analyse (rgba, width, height) {
  const s = Math.max(1, Math.ceil(Math.max(width, height) / ANALYSIS_SIDE))
  const { g, aw, ah } = grayscale(rgba, width, height, s)
  const mag = sobel(blur(g, aw, ah), aw, ah)

  const { mean, sd } = meanSd(mag)
  const threshold = Math.max(48, mean + 2 * sd)

  const cell = Math.max(8, Math.round(Math.min(aw, ah) / 30))
  const gw = Math.ceil(aw / cell); const gh = Math.ceil(ah / cell)
  const counts = new Uint32Array(gw * gh)
  const areas = new Uint32Array(gw * gh)
  let edges = 0
  for (let y = 0; y < ah; y++) {
    const cy = Math.floor(y / cell) * gw
    for (let x = 0; x < aw; x++) {
      const c = cy + Math.floor(x / cell)
      areas[c]++
      if (mag[y * aw + x] > threshold) { counts[c]++; edges++ }
    }
  }
  const density = new Float32Array(gw * gh)
  for (let c = 0; c < density.length; c++) density[c] = counts[c] / areas[c]
  const dstat = meanSd(density)
  const dense = Math.max(0.04, dstat.mean + 0.5 * dstat.sd)

  const seen = new Uint8Array(gw * gh)
  const boxes = []
  const stack = []
  for (let start = 0; start < density.length; start++) {
    if (seen[start] || density[start] < dense) continue
    seen[start] = 1
    stack.push(start)
    let x0 = gw; let y0 = gh; let x1 = -1; let y1 = -1; let sum = 0
    while (stack.length > 0) {
      const c = stack.pop()
      const cx = c % gw; const cy = (c - cx) / gw
      if (cx < x0) x0 = cx
      if (cx > x1) x1 = cx
      if (cy < y0) y0 = cy
      if (cy > y1) y1 = cy
      sum += counts[c]
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const nx = cx + dx; const ny = cy + dy
          if (nx < 0 || ny < 0 || nx >= gw || ny >= gh) continue
          const n = ny * gw + nx
          if (!seen[n] && density[n] >= dense) { seen[n] = 1; stack.push(n) }
        }
      }
    }
    const score = edges > 0 ? sum / edges : 0
    if (score < 0.01) continue
    const px = x0 * cell * s; const py = y0 * cell * s
    boxes.push({
      x: px,
      y: py,
      w: Math.min(width, (x1 + 1) * cell * s) - px,
      h: Math.min(height, (y1 + 1) * cell * s) - py,
      score: Math.round(score * 10000) / 10000
    })
  }
  boxes.sort((a, b) => b.score - a.score)
  return {
    boxes: boxes.slice(0, MAX_BOXES),
    edgeDensity: Math.round((edges / (aw * ah)) * 10000) / 10000,
    threshold: Math.round(threshold * 100) / 100,
    scale: s,
    mag,
    aw,
    ah
  }
}

function drawBoxes (rgba, width, height, boxes) {
  const t = Math.max(2, Math.round(Math.max(width, height) / 320))
  const paint = (x, y) => {
    if (x < 0 || y < 0 || x >= width || y >= height) return
    const p = (y * width + x) * 4
    rgba[p] = 255; rgba[p + 1] = 32; rgba[p + 2] = 32; rgba[p + 3] = 255
  }
  for (const b of boxes) {
    for (let k = 0; k < t; k++) {
      for (let x = b.x; x < b.x + b.w; x++) { paint(x, b.y + k); paint(x, b.y + b.h - 1 - k) }
      for (let y = b.y; y < b.y + b.h; y++) { paint(b.x + k, y); paint(b.x + b.w - 1 - k, y) }
    }
  }
}

/** The edge map at full size (nearest-neighbour from analysis scale) as grey RGBA. */
function edgeImage (mag, aw, ah, width, height, s) {
  let max = 1
  for (let i = 0; i < mag.length; i++) if (mag[i] > max) max = mag[i]
  const out = new Uint8Array(width * height * 4)
  for (let y = 0; y < height; y++) {
    const ay = Math.min(ah - 1, Math.floor(y / s)) * aw
    for (let x = 0; x < width; x++) {
      const v = Math.min(255, Math.round((mag[ay + Math.min(aw - 1, Math.floor(x / s))] / max) * 255 * 2))
      const p = (y * width + x) * 4
      out[p] = v; out[p + 1] = v; out[p + 2] = v; out[p + 3] = 255
    }
  }
  return out
}

export async function handle (req) {
  const t0 = performance.now()
  const params = new URLSearchParams(req.query)
  const output = params.get('output') ?? 'image'
  if (output !== 'image' && output !== 'json') return jsonResponse(400, { error: `output must be "image" or "json", got "${output}"` })
  const quality = params.has('quality') ? Number(params.get('quality')) : 80
  if (!Number.isInteger(quality) || quality < 1 || quality > 100) return jsonResponse(400, { error: 'quality must be an integer 1..100' })

  const body = req.body ?? Buffer.alloc(0)
  let img
  try {
    if (body.length === 0) throw new BadInput('empty body: POST a JPEG')
    if (body.length > MAX_BYTES) throw new BadInput(`JPEG larger than ${MAX_BYTES} bytes`)
    const { width, height } = jpegSize(body)
    if (width === 0 || height === 0) throw new BadInput('JPEG with zero width or height')
    if (width > MAX_SIDE || height > MAX_SIDE) throw new BadInput(`JPEG is ${width}x${height}, larger than ${MAX_SIDE}x${MAX_SIDE}`)
    try {
      img = jpeg.decode(body, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: 17, maxMemoryUsageInMB: 200 })
    } catch (err) {
      throw new BadInput(`cannot decode JPEG: ${err?.message ?? err}`)
    }
  } catch (err) {
    if (err instanceof BadInput) return jsonResponse(400, { error: err.message })
    throw err
  }

  const { width, height } = img
  const result = analyse(img.data, width, height)
  if (output === 'json') {
    return jsonResponse(200, {
      width,
      height,
      boxes: result.boxes,
      edgeDensity: result.edgeDensity,
      threshold: result.threshold,
      analysisScale: result.scale,
      ms: Math.round((performance.now() - t0) * 100) / 100
    })
  }
  const pixels = params.get('draw') === 'edges'
    ? edgeImage(result.mag, result.aw, result.ah, width, height, result.scale)
    : img.data
  drawBoxes(pixels, width, height, result.boxes)
  const encoded = jpeg.encode({ data: pixels, width, height }, quality)
  return {
    status: 200,
    headers: {
      'content-type': 'image/jpeg',
      'x-boxes': String(result.boxes.length),
      'x-process-ms': String(Math.round((performance.now() - t0) * 100) / 100)
    },
    body: Buffer.from(encoded.data.buffer, encoded.data.byteOffset, encoded.data.byteLength)
  }
}
