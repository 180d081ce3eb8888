// sleep: holds for a service time, then answers 200 {"sleptMs": n}.
//   ?ms=N      fixed service time in ms (capped at 600000)
//   ?mean=N    exponential service time with mean N ms: -mean * ln(1 - U) (default: mean 100 ms)
//   ?cpu=1     busy-spin for the service time instead of sleeping (a CPU-bound function)
// Stops early (and answers nothing useful) when the caller goes away (req.signal aborts).
import { setTimeout as delay } from 'node:timers/promises'

const MAX_MS = 600_000

function serviceTime (params) {
  const fixed = params.get('ms')
  if (fixed != null) {
    const n = Number(fixed)
    if (!Number.isFinite(n) || n < 0) throw new BadRequest(`ms must be a non-negative number, got "${fixed}"`)
    return Math.min(n, MAX_MS)
  }
  const meanRaw = params.get('mean')
  const mean = meanRaw == null ? 100 : Number(meanRaw)
  if (!Number.isFinite(mean) || mean < 0) throw new BadRequest(`mean must be a non-negative number, got "${meanRaw}"`)
  return Math.min(-mean * Math.log(1 - Math.random()), MAX_MS)
}

class BadRequest extends Error {}

function spin (ms, signal) {
  const end = performance.now() + ms
  // Spin in slices so an abort (client gone) is noticed between them.
  return new Promise((resolve) => {
    const slice = () => {
      const stop = Math.min(end, performance.now() + 50)
      let x = 0
      while (performance.now() < stop) x += Math.sqrt(x + 1)
      if (performance.now() >= end || signal?.aborted) resolve(x)
      else setImmediate(slice)
    }
    slice()
  })
}

export async function handle (req) {
  const params = new URLSearchParams(req.query)
  let ms
  try {
    ms = serviceTime(params)
  } catch (err) {
    if (err instanceof BadRequest) {
      return { status: 400, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ error: err.message }) }
    }
    throw err
  }
  const cpu = params.get('cpu') === '1' || params.get('cpu') === 'true'
  const t0 = performance.now()
  if (cpu) {
    await spin(ms, req.signal)
  } else {
    try {
      await delay(ms, undefined, { signal: req.signal })
      // Timers run on a millisecond clock and may fire a fraction early: top up to the full time.
      while (performance.now() - t0 < ms && req.signal?.aborted !== true) await delay(1)
    } catch (err) {
      if (req.signal?.aborted !== true) throw err
    }
  }
  const sleptMs = Math.round((performance.now() - t0) * 1000) / 1000
  return {
    status: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ sleptMs, requestedMs: Math.round(ms * 1000) / 1000, cpu })
  }
}
