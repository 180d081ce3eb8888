import { mkdir } from 'node:fs/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchBrowser } from '../helpers/browser.js'
import { repoPath } from '../helpers/cli.js'
import { waitFor } from '../helpers/mesh.js'
import { startTestNode, type TestNode } from '../helpers/node.js'
import type { Browser, Page } from 'playwright-core'

/**
 * The dashboard in a real headless Chromium against a real three-node mesh on loopback. Screenshots
 * of each state go to test-artifacts/ (not committed).
 */

let a: TestNode
let b: TestNode
let c: TestNode
let browser: Browser
let page: Page
const problems: string[] = []
const ARTIFACTS = repoPath('test-artifacts')
const id = (t: TestNode): string => t.node.mesh.peerId.toString()

beforeAll(async () => {
  a = await startTestNode({ runtime: 'process' })
  b = await startTestNode({ runtime: 'process', bootstrap: [a.node.mesh.addrs()[0]!] })
  c = await startTestNode({ runtime: 'process', bootstrap: [a.node.mesh.addrs()[0]!, b.node.mesh.addrs()[0]!] })
  const emu = { service: 'emu', labels: { 'p2pfaas.runtime': 'emulated', 'p2pfaas.service-time': 'fixed:400ms', 'p2pfaas.concurrency': '1', 'p2pfaas.queue': '0' } }
  for (const t of [a, b, c]) {
    const res = await fetch(`${t.url}/system/functions`, { method: 'POST', headers: { authorization: t.auth, 'content-type': 'application/json' }, body: JSON.stringify(emu) })
    expect(res.status).toBe(202)
  }
  await waitFor('a sees emu on b and c', () => [b, c].every(t => a.node.mesh.view.get(id(t))?.functions.includes('emu') === true && a.node.mesh.view.get(id(t))?.connected === true), 5000)
  await mkdir(ARTIFACTS, { recursive: true })
  browser = await launchBrowser()
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
  page.on('console', msg => { if (msg.type() === 'error' || msg.type() === 'warning') problems.push(`console ${msg.type()}: ${msg.text()}`) })
  page.on('pageerror', err => { problems.push(`page error: ${err.message}`) })
  page.on('requestfailed', req => { if (!req.url().includes('/api/dashboard/stream')) problems.push(`request failed: ${req.url()}`) })
}, 30_000)

afterAll(async () => {
  await browser?.close()
  for (const t of [c, b, a]) await t?.stop()
})

describe('the dashboard', () => {
  it('loads with no console errors and draws the three nodes and their connections', async () => {
    await page.goto(`${a.url}/`)
    await page.waitForSelector('body[data-ready="true"]', { timeout: 10_000 })
    await page.waitForFunction(() => document.querySelectorAll('#graph .node').length === 3 && document.querySelectorAll('#graph .edge').length === 3, undefined, { timeout: 10_000 })
    const peers = await page.$$eval('#graph .node', nodes => nodes.map(n => n.getAttribute('data-peer')))
    expect(peers.sort()).toEqual([id(a), id(b), id(c)].sort())
    expect(await page.getAttribute(`#graph .node.self`, 'data-peer')).toBe(id(a))
    expect(await page.$$eval('#nodes tbody tr', rows => rows.length)).toBe(3)
    expect(await page.textContent('#policy')).toMatch(/LeastLoaded/)
    await page.screenshot({ path: `${ARTIFACTS}/dashboard-1-mesh.png`, fullPage: true })
    expect(problems).toEqual([])
  }, 30_000)

  it('moves its counters and charts under load, and lists a forwarded call with its path', async () => {
    // One slot per node: of three calls at once at a, two are handed to b and c.
    const calls = await Promise.all([1, 2, 3].map(async () => await fetch(`${a.url}/function/emu`, { method: 'POST' })))
    expect(calls.map(r => r.status)).toEqual([200, 200, 200])
    const forwarded = await page.waitForSelector('#traces tr.outcome-forwarded', { timeout: 10_000 })
    const path = await forwarded.$eval('td.path', td => td.getAttribute('title'))
    expect(path).toMatch(new RegExp(`^${id(a)} → (${id(b)}|${id(c)})$`))
    expect(await page.$$eval('#traces tbody tr', rows => rows.length)).toBe(3)
    await page.waitForFunction(() => /arrivals [1-9]/.test(document.getElementById('chart-calls')?.getAttribute('aria-label') ?? '') || document.querySelector('#functions tr[data-function="emu"] td:nth-child(3)')?.textContent !== '0', undefined, { timeout: 5000 })
    const rate = await page.textContent('#functions tr[data-function="emu"] td:nth-child(3)')
    expect(Number(rate)).toBeGreaterThan(0)
    expect(await page.$$eval('#graph .edge.active', edges => edges.length)).toBeGreaterThanOrEqual(1)
    // Latency is drawn, and in a colour: each series has a stroke, and the seconds with calls have points.
    await page.waitForFunction(() => document.querySelectorAll('#chart-latency circle').length > 0, undefined, { timeout: 5000 })
    const strokes = await page.$$eval('#chart-latency polyline', lines => lines.map(l => getComputedStyle(l).stroke))
    expect(strokes).toHaveLength(2)
    for (const stroke of strokes) expect(stroke).not.toBe('none')
    await page.screenshot({ path: `${ARTIFACTS}/dashboard-2-load.png`, fullPage: true })
    expect(problems).toEqual([])
  }, 30_000)

  it('shows a node that is killed as gone', async () => {
    await c.stop()
    await page.waitForSelector(`#graph .node.gone[data-peer="${id(c)}"]`, { timeout: 10_000 })
    expect(await page.getAttribute(`#nodes tr[data-peer="${id(c)}"]`, 'class')).toMatch(/gone/)
    await page.screenshot({ path: `${ARTIFACTS}/dashboard-3-gone.png`, fullPage: true })
  }, 30_000)

  it('fits a phone: nothing but the wide tables scrolls sideways', async () => {
    const phone = await browser.newPage({ viewport: { width: 375, height: 740 }, isMobile: true })
    await phone.goto(`${a.url}/`)
    await phone.waitForSelector('body[data-ready="true"]', { timeout: 10_000 })
    expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375)
    await phone.screenshot({ path: `${ARTIFACTS}/dashboard-4-phone.png`, fullPage: true })
    await phone.close()
  })

  it('keeps 32 nodes readable: no two circles or names overlap', async () => {
    // A string, not a function: vitest would rewrite a function's import() for Node.
    const overlaps = await page.evaluate(`(async () => {
      const { renderGraph } = await import('/ui/graph.js')
      const root = document.createElementNS('http://www.w3.org/2000/svg', 'svg')
      root.setAttribute('viewBox', '0 0 400 400')
      root.style.width = '800px'
      document.body.append(root)
      const load = { functions: [], totals: { running: 1, queued: 0, capacity: 4 } }
      const nodes = Array.from({ length: 32 }, (_, i) => ({ peerId: '12D3KooW' + String(i).padStart(4, '0') + 'node' + i, self: i === 0, addrs: [], state: 'up', load, functions: [] }))
      renderGraph(root, { self: nodes[0].peerId, at: 0, policy: '', nodes, edges: [], handoffs: [], functions: [], series: [], traces: [] }, undefined, () => {})
      const boxes = [...root.querySelectorAll('circle'), ...root.querySelectorAll('text:nth-of-type(1)')].map(e => e.getBoundingClientRect())
      let count = 0
      for (let i = 0; i < boxes.length; i++) {
        for (let j = i + 1; j < boxes.length; j++) {
          const p = boxes[i], q = boxes[j]
          if (p.left < q.right - 1 && q.left < p.right - 1 && p.top < q.bottom - 1 && q.top < p.bottom - 1) count++
        }
      }
      root.remove()
      return count
    })()`)
    expect(overlaps).toBe(0)
  })

  it('lets an operator with the admin secret change the policy, and refuses a wrong secret', async () => {
    const secret = a.auth.startsWith('Basic ') ? Buffer.from(a.auth.slice(6), 'base64').toString().split(':')[1]! : ''
    await page.fill('#policy-form input[name="policy"]', 'power-of-d:d=2')
    await page.fill('#policy-form input[name="secret"]', 'wrong')
    await page.click('#policy-form button')
    await page.waitForFunction(() => /refused/.test(document.getElementById('policy-result')?.textContent ?? ''), undefined, { timeout: 5000 })
    expect(await page.textContent('#policy')).toMatch(/LeastLoaded/)
    await page.fill('#policy-form input[name="secret"]', secret)
    await page.click('#policy-form button')
    await page.waitForFunction(() => /PowerOf|power/i.test(document.getElementById('policy')?.textContent ?? ''), undefined, { timeout: 5000 })
    expect(await page.textContent('#policy-result')).toMatch(/^now /)
  })

  it('shows what a learning policy learnt, only while one is in force', async () => {
    const secret = a.auth.startsWith('Basic ') ? Buffer.from(a.auth.slice(6), 'base64').toString().split(':')[1]! : ''
    // The test before refused a wrong secret on purpose (a 401 in the console): only what comes now counts.
    const before = problems.length
    expect(await page.isHidden('#learning')).toBe(true)
    await page.fill('#policy-form input[name="policy"]', 'learning:taskTypes=2')
    await page.fill('#policy-form input[name="secret"]', secret)
    await page.click('#policy-form button')
    await page.waitForFunction(() => /Learning/.test(document.getElementById('policy')?.textContent ?? ''), undefined, { timeout: 5000 })
    await page.waitForSelector('#learning:not([hidden])', { timeout: 5000 })
    for (let i = 0; i < 3; i++) await (await fetch(`${a.url}/function/emu`, { method: 'POST', headers: { 'X-P2pfaas-Scheduler-Learning-Task-Type': '1' } })).arrayBuffer()
    await page.waitForFunction(() => /of 3 calls/.test(document.querySelector('#learning [data-stat="reward-rate"]')?.textContent ?? ''), undefined, { timeout: 5000 })
    expect(await page.textContent('#learning [data-stat="exploration"]')).toMatch(/of 3 decisions \(ε = 0\.05\)/)
    expect(await page.textContent('#learning [data-stat="table"]')).toMatch(/^\d+ states?, \d+ updates?$/)
    await page.screenshot({ path: `${ARTIFACTS}/dashboard-5-learning.png`, fullPage: true })
    expect(problems.slice(before)).toEqual([])
  }, 30_000)

  it('is reachable from the keyboard: tabbing reaches a node, Enter selects its row', async () => {
    await page.focus(`#graph .node[data-peer="${id(b)}"]`)
    await page.keyboard.press('Enter')
    await page.waitForSelector(`#nodes tr.selected[data-peer="${id(b)}"]`, { timeout: 3000 })
  })
})
