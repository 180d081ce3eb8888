import '../src/polyfill.js'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { startLocalMesh } from '../src/cli/local-mesh.js'
import { launchBrowser } from '../test/helpers/browser.js'

/**
 * The dashboard's cost, in one run on a 3-node loopback mesh under a light steady load:
 *   - page weight: every byte the browser fetches before the live stream;
 *   - time to first render: navigation start → the first snapshot drawn (median of 5 loads);
 *   - the serving node's CPU with 5 dashboards open against none, same load, side by side.
 *   npm run bench:dashboard     (needs Debian's chromium)
 */

const PHASE_MS = 6000
const ROUNDS = 4
const DASHBOARDS = 5
const LOAD_PER_S = 20
const LOADS = 5

const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

/** utime + stime of a process, in ms. */
async function cpuMs (pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ')
  return (Number(fields[11]) + Number(fields[12])) * 10
}

async function main (): Promise<void> {
  const mesh = await startLocalMesh(3)
  const stopLoad = { stop: false }
  try {
    await mesh.waitForFullMesh(30_000)
    const [first] = mesh.nodes
    for (const n of mesh.nodes) {
      const secret = (await readFile(join(n.dataDir, 'admin-secret'), 'utf8')).trim()
      const res = await fetch(`${n.httpUrl}/system/functions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
        body: JSON.stringify({ service: 'emu', labels: { 'p2pfaas.runtime': 'emulated', 'p2pfaas.service-time': 'exp:50ms', 'p2pfaas.concurrency': '1', 'p2pfaas.queue': '0' } })
      })
      if (res.status !== 202) throw new Error(`deploy on ${n.name}: ${res.status}`)
    }
    await sleep(1500)
    // A steady light load, so snapshots carry traces and counts, in both phases alike.
    const load = (async () => {
      while (!stopLoad.stop) {
        void fetch(`${first!.httpUrl}/function/emu`, { method: 'POST' }).then(async r => await r.arrayBuffer()).catch(() => {})
        await sleep(1000 / LOAD_PER_S)
      }
    })()

    const browser = await launchBrowser()
    try {
      const origins = new Set<string>()
      const weights: number[] = []
      const firstRenders: number[] = []
      for (let i = 0; i < LOADS; i++) {
        const page = await browser.newPage()
        let bytes = 0
        page.on('request', req => { origins.add(new URL(req.url()).origin) })
        page.on('response', res => { if (!res.url().includes('/api/dashboard/stream')) void res.body().then(b => { bytes += b.length }, () => {}) })
        await page.goto(`${first!.httpUrl}/`)
        await page.waitForSelector('body[data-ready="true"]', { timeout: 10_000 })
        firstRenders.push(await page.evaluate(() => performance.getEntriesByName('p2pfaas:first-render')[0]!.startTime))
        await sleep(200)
        weights.push(bytes)
        await page.close()
      }

      const pid = first!.process.pid!
      const measure = async (): Promise<number> => {
        const before = await cpuMs(pid)
        await sleep(PHASE_MS)
        return (await cpuMs(pid) - before) / (PHASE_MS / 1000)
      }
      // Alternating phases, so a drift in the machine's load falls on both sides alike.
      const none: number[] = []
      const open: number[] = []
      for (let round = 0; round < ROUNDS; round++) {
        await sleep(1000)
        none.push(await measure())
        const pages = await Promise.all(Array.from({ length: DASHBOARDS }, async () => {
          const page = await browser.newPage()
          await page.goto(`${first!.httpUrl}/`)
          await page.waitForSelector('body[data-ready="true"]', { timeout: 10_000 })
          return page
        }))
        await sleep(1000)
        open.push(await measure())
        for (const p of pages) await p.close()
      }
      const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length
      const spread = (xs: number[]): string => `${Math.min(...xs).toFixed(0)}-${Math.max(...xs).toFixed(0)}`

      console.log(`dashboard on a 3-node loopback mesh, ${LOAD_PER_S} calls/s of steady load`)
      console.log(`  page weight: ${(median(weights) / 1024).toFixed(1)} KiB in all (HTML, CSS, modules), requested from ${[...origins].join(', ')}`)
      console.log(`  time to first render: median ${median(firstRenders).toFixed(0)} ms of ${LOADS} loads (min ${Math.min(...firstRenders).toFixed(0)}, max ${Math.max(...firstRenders).toFixed(0)})`)
      console.log(`  serving node CPU, ${ROUNDS} alternating rounds of ${PHASE_MS / 1000} s: no dashboard ${mean(none).toFixed(1)} ms/s (${spread(none)}), ` +
        `${DASHBOARDS} open ${mean(open).toFixed(1)} ms/s (${spread(open)}): ${(mean(open) / mean(none)).toFixed(2)}x, ${((mean(open) - mean(none)) / DASHBOARDS).toFixed(1)} ms/s per dashboard`)
    } finally {
      await browser.close()
    }
    stopLoad.stop = true
    await load
  } finally {
    stopLoad.stop = true
    await mesh.stop()
  }
}

await main()
