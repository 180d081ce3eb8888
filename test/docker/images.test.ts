/**
 * The sample function images (docker/functions/*, each a handler.mjs on the shared runtime in
 * docker/functions/_watchdog, one Dockerfile): built offline by scripts/build-images.sh, run
 * hardened (no capabilities, read-only root, pids and memory limits, non-root user) and checked
 * through the OpenFaaS watchdog contract: health, method/path/query/body pass-through, statuses.
 * The classic-watchdog forms (classic.mjs) and the server's graceful stop are checked on the host.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { execFile, spawn } from 'node:child_process'
import { randomBytes, randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import http from 'node:http'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { promisify } from 'node:util'

const run = promisify(execFile)
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const FUNCTIONS = join(ROOT, 'docker/functions')
const NAMES = ['echo', 'sleep', 'imageproc'] as const
type Name = typeof NAMES[number]
const RUN_LABEL = `p2pfaas.test.run=${randomUUID()}`

interface Reply { status: number, headers: http.IncomingHttpHeaders, body: Buffer, ms: number }

const agent = new http.Agent({ keepAlive: true, maxSockets: 4 })

function call (port: number, method: string, path: string, body?: Uint8Array, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolvePromise, reject) => {
    const t0 = performance.now()
    const req = http.request({ host: '127.0.0.1', port, method, path, headers, agent, timeout: 20_000 }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolvePromise({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), ms: performance.now() - t0 }))
      res.on('error', reject)
    })
    req.on('timeout', () => req.destroy(new Error(`timeout: ${method} ${path}`)))
    req.on('error', reject)
    req.end(body)
  })
}

async function docker (...args: string[]): Promise<string> {
  const { stdout } = await run('docker', args, { maxBuffer: 4 * 1024 * 1024, timeout: 60_000 })
  return stdout.trim()
}

async function waitHealthy (port: number, id: string): Promise<void> {
  const deadline = Date.now() + 20_000
  for (;;) {
    try {
      const r = await call(port, 'GET', '/_/health')
      if (r.status === 200) return
    } catch {}
    if (Date.now() > deadline) {
      const logs = await docker('logs', '--tail', '50', id).catch((e: Error) => e.message)
      throw new Error(`container ${id} never became healthy on port ${port}; logs:\n${logs}`)
    }
    await new Promise((r) => setTimeout(r, 100))
  }
}

interface Started { id: string, port: number }
const containers = new Map<Name, Started>()

async function start (name: Name): Promise<Started> {
  const id = await docker('run', '-d', '--rm', '-p', '127.0.0.1::8080',
    '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges', '--read-only', '--tmpfs', '/tmp',
    '--pids-limit', '64', '--memory', '256m',
    '--label', 'p2pfaas.test=1', '--label', RUN_LABEL,
    `p2pfaas/fn-${name}:latest`)
  const mapping = await docker('port', id, '8080/tcp')
  const m = /:(\d+)\s*$/m.exec(mapping.split('\n')[0] ?? '')
  if (m?.[1] == null) throw new Error(`no published port for ${name}: ${mapping}`)
  const port = Number(m[1])
  await waitHealthy(port, id)
  return { id, port }
}

function get (name: Name): Started {
  const c = containers.get(name)
  if (c == null) throw new Error(`${name} did not start`)
  return c
}

/** Runs a classic-watchdog form: body on stdin, CGI-style env, stdout back. */
function classic (name: Name, env: Record<string, string>, stdin: Uint8Array): Promise<{ code: number | null, stdout: Buffer, stderr: string, ms: number }> {
  return new Promise((resolvePromise, reject) => {
    const t0 = performance.now()
    const child = spawn(process.execPath, [join(FUNCTIONS, name, 'classic.mjs')], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
      stdio: ['pipe', 'pipe', 'pipe']
    })
    const out: Buffer[] = []
    let err = ''
    child.stdout.on('data', (c: Buffer) => out.push(c))
    child.stderr.on('data', (c: Buffer) => { err += c.toString() })
    child.on('error', reject)
    child.on('close', (code) => resolvePromise({ code, stdout: Buffer.concat(out), stderr: err, ms: performance.now() - t0 }))
    child.stdin.end(stdin)
  })
}

let jpeg: { decode: (b: Uint8Array, o?: object) => { width: number, height: number, data: Uint8Array } }
let sample: Buffer

beforeAll(async () => {
  try {
    await run('bash', [join(ROOT, 'scripts/build-images.sh')], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024, timeout: 600_000 })
  } catch (err) {
    const e = err as Error & { stdout?: string, stderr?: string }
    throw new Error(`build-images.sh failed: ${e.message}\n${(e.stderr ?? '').slice(-4000)}`)
  }
  // jpeg-js comes from the function's own node_modules (installed by the build script).
  jpeg = createRequire(join(FUNCTIONS, 'imageproc/package.json'))('jpeg-js')
  const mod = await import(pathToFileURL(join(FUNCTIONS, 'imageproc/make-sample.mjs')).href)
  sample = mod.makeSample({ width: 640, height: 480 })
  const started = await Promise.all(NAMES.map(async (n) => [n, await start(n)] as const))
  for (const [n, c] of started) containers.set(n, c)
}, 600_000)

afterAll(async () => {
  agent.destroy()
  const ids = (await docker('ps', '-aq', '--filter', `label=${RUN_LABEL}`).catch(() => '')).split('\n').filter(Boolean)
  if (ids.length > 0) await docker('rm', '-f', ...ids).catch(() => {})
})

describe('function images', () => {
  it.each(NAMES)('%s runs as uid 10001, answers /_/health and /_/ready', async (name) => {
    const { id, port } = get(name)
    expect(await docker('image', 'inspect', '-f', '{{.Config.User}}', `p2pfaas/fn-${name}:latest`)).toBe('10001')
    expect(await docker('exec', id, 'id', '-u')).toBe('10001')
    for (const path of ['/_/health', '/_/ready']) {
      const r = await call(port, 'GET', path)
      expect(r.status).toBe(200)
      expect(r.body.toString()).toBe('OK')
    }
  })

  it('server.mjs and classic.mjs are the same small shims over _watchdog in every function', () => {
    for (const file of ['server.mjs', 'classic.mjs']) {
      const ref = readFileSync(join(FUNCTIONS, 'echo', file), 'utf8')
      expect(ref).toContain(`from '../_watchdog/${file}'`)
      expect(ref).toContain("from './handler.mjs'")
      expect(ref.trim().split('\n').length).toBeLessThanOrEqual(6)
      for (const name of NAMES) expect(readFileSync(join(FUNCTIONS, name, file), 'utf8'), `${name}/${file}`).toBe(ref)
    }
  })

  it('keeps the shared runtime beside the function in the image, and builds no image of _watchdog', async () => {
    for (const name of NAMES) {
      expect(await docker('image', 'inspect', '-f', '{{.Config.WorkingDir}}', `p2pfaas/fn-${name}:latest`)).toBe(`/home/app/${name}`)
    }
    expect(await docker('exec', get('echo').id, 'ls', '/home/app')).toBe('_watchdog\necho')
    await expect(docker('image', 'inspect', 'p2pfaas/fn-_watchdog:latest')).rejects.toThrow()
  })
})

describe('echo', () => {
  it('round-trips a binary body byte for byte with method, path, query and content-type', async () => {
    const { port } = get('echo')
    const body = randomBytes(256 * 1024)
    const r = await call(port, 'PUT', '/some/path?a=1&b=two%20words', body, { 'content-type': 'application/x-test' })
    expect(r.status).toBe(200)
    expect(Buffer.compare(r.body, body)).toBe(0)
    expect(r.headers['content-type']).toBe('application/x-test')
    expect(r.headers['x-echo-method']).toBe('PUT')
    expect(r.headers['x-echo-path']).toBe('/some/path')
    expect(r.headers['x-echo-query']).toBe('a=1&b=two%20words')
    expect(r.headers['x-duration-seconds']).toMatch(/^\d+\.\d+$/)
    expect(r.headers.connection).toBe('keep-alive')
  })

  it('passes the status through (?status=418) and answers GET without a body', async () => {
    const { port } = get('echo')
    const teapot = await call(port, 'POST', '/?status=418', Buffer.from('short and stout'), { 'content-type': 'text/plain' })
    expect(teapot.status).toBe(418)
    expect(teapot.body.toString()).toBe('short and stout')
    const empty = await call(port, 'GET', '/')
    expect(empty.status).toBe(200)
    expect(empty.body.length).toBe(0)
    expect(empty.headers['x-echo-method']).toBe('GET')
  })

  it('refuses a body over 16 MiB with 413', async () => {
    const { port } = get('echo')
    const r = await call(port, 'POST', '/', Buffer.alloc(16 * 1024 * 1024 + 1))
    expect(r.status).toBe(413)
    // and the container still serves
    expect((await call(port, 'POST', '/', Buffer.from('x'))).body.toString()).toBe('x')
  })
})

describe('sleep', () => {
  it('?ms=150 holds at least 150 ms and answers JSON', async () => {
    const { port } = get('sleep')
    const r = await call(port, 'GET', '/?ms=150')
    expect(r.status).toBe(200)
    expect(r.ms).toBeGreaterThanOrEqual(150)
    expect(r.headers['content-type']).toBe('application/json')
    const json = JSON.parse(r.body.toString()) as { sleptMs: number }
    expect(json.sleptMs).toBeGreaterThanOrEqual(150)
  })

  it('draws exponential times with ?mean= and busy-spins with ?cpu=1', async () => {
    const { port } = get('sleep')
    const times: number[] = []
    for (let i = 0; i < 10; i++) {
      const r = await call(port, 'GET', '/?mean=10')
      expect(r.status).toBe(200)
      times.push((JSON.parse(r.body.toString()) as { sleptMs: number }).sleptMs)
    }
    expect(new Set(times.map((t) => Math.round(t))).size).toBeGreaterThan(1)
    const cpu = await call(port, 'GET', '/?ms=60&cpu=1')
    expect(cpu.status).toBe(200)
    expect(cpu.ms).toBeGreaterThanOrEqual(60)
    expect((JSON.parse(cpu.body.toString()) as { cpu: boolean }).cpu).toBe(true)
    const bad = await call(port, 'GET', '/?ms=soon')
    expect(bad.status).toBe(400)
  })
})

describe('imageproc', () => {
  it('returns a JPEG of the same size with boxes drawn', async () => {
    const { port } = get('imageproc')
    const r = await call(port, 'POST', '/', sample, { 'content-type': 'image/jpeg' })
    expect(r.status).toBe(200)
    expect(r.headers['content-type']).toBe('image/jpeg')
    expect(r.body[0]).toBe(0xff)
    expect(r.body[1]).toBe(0xd8)
    const img = jpeg.decode(r.body, { useTArray: true })
    expect([img.width, img.height]).toEqual([640, 480])
    expect(Number(r.headers['x-boxes'])).toBeGreaterThanOrEqual(3)
    const edges = await call(port, 'POST', '/?output=image&draw=edges', sample)
    expect(edges.status).toBe(200)
    expect(jpeg.decode(edges.body).width).toBe(640)
  })

  it('?output=json returns boxes around the shapes, in tens to a couple hundred ms', async () => {
    const { port } = get('imageproc')
    const times: number[] = []
    let last: { width: number, height: number, boxes: Array<{ x: number, y: number, w: number, h: number, score: number }>, edgeDensity: number, ms: number } | undefined
    for (let i = 0; i < 8; i++) {
      const r = await call(port, 'POST', '/?output=json', sample, { 'content-type': 'image/jpeg' })
      expect(r.status).toBe(200)
      last = JSON.parse(r.body.toString())
      times.push(r.ms)
    }
    if (last == null) throw new Error('no answer')
    expect(last.width).toBe(640)
    expect(last.height).toBe(480)
    expect(last.boxes.length).toBeGreaterThanOrEqual(3)
    for (const b of last.boxes) {
      expect(b.x).toBeGreaterThanOrEqual(0)
      expect(b.y).toBeGreaterThanOrEqual(0)
      expect(b.x + b.w).toBeLessThanOrEqual(640)
      expect(b.y + b.h).toBeLessThanOrEqual(480)
      expect(b.score).toBeGreaterThan(0)
    }
    // The yellow rectangle of the sample (60..220 x 60..180) is inside one of the boxes.
    expect(last.boxes.some((b) => b.x <= 60 && b.y <= 60 && b.x + b.w >= 220 && b.y + b.h >= 180)).toBe(true)
    expect(last.edgeDensity).toBeGreaterThan(0)
    const warm = times.slice(2).sort((a, b) => a - b)
    const median = warm[Math.floor(warm.length / 2)] ?? 0
    console.log(`imageproc 640x480 per call (json, warm, over HTTP): median ${median.toFixed(1)} ms, all ${times.map((t) => t.toFixed(0)).join(' ')} ms; handler says ${last.ms} ms`)
    expect(median).toBeLessThan(1000)
  })

  it('refuses what is not a JPEG, or too large, with 400 JSON', async () => {
    const { port } = get('imageproc')
    const notJpeg = await call(port, 'POST', '/?output=json', Buffer.from('GIF89a definitely not a jpeg'))
    expect(notJpeg.status).toBe(400)
    expect(notJpeg.headers['content-type']).toBe('application/json')
    expect((JSON.parse(notJpeg.body.toString()) as { error: string }).error).toMatch(/JPEG/)
    // A frame header claiming 5000x5000: refused before any decoding.
    const huge = Buffer.from([0xff, 0xd8, 0xff, 0xc0, 0x00, 0x11, 0x08, 0x13, 0x88, 0x13, 0x88, 0x03,
      0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11, 0x01, 0xff, 0xd9])
    const big = await call(port, 'POST', '/', huge)
    expect(big.status).toBe(400)
    expect((JSON.parse(big.body.toString()) as { error: string }).error).toMatch(/5000x5000/)
    const truncated = await call(port, 'POST', '/', sample.subarray(0, 1000))
    expect(truncated.status).toBe(400)
    const empty = await call(port, 'POST', '/')
    expect(empty.status).toBe(400)
  })
})

describe('classic watchdog forms (host)', () => {
  it('echo: body on stdin comes back on stdout, unchanged', async () => {
    const body = randomBytes(100_000)
    const r = await classic('echo', {
      Http_Method: 'POST',
      Http_Path: '/x/y',
      Http_Query: 'status=201',
      Http_Content_Type: 'application/octet-stream',
      Http_X_Foo: 'bar'
    }, body)
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(Buffer.compare(r.stdout, body)).toBe(0)
  })

  it('sleep: Http_Query=ms=100 holds and prints JSON', async () => {
    const r = await classic('sleep', { Http_Method: 'GET', Http_Path: '/', Http_Query: 'ms=100' }, Buffer.alloc(0))
    expect(r.code).toBe(0)
    expect(r.ms).toBeGreaterThanOrEqual(100)
    expect((JSON.parse(r.stdout.toString()) as { sleptMs: number }).sleptMs).toBeGreaterThanOrEqual(100)
  })

  it('imageproc: JSON on stdout for a JPEG on stdin', async () => {
    const r = await classic('imageproc', { Http_Method: 'POST', Http_Query: 'output=json', Http_Content_Type: 'image/jpeg' }, sample)
    expect(r.code).toBe(0)
    expect((JSON.parse(r.stdout.toString()) as { boxes: unknown[] }).boxes.length).toBeGreaterThanOrEqual(3)
  })
})

describe('server.mjs (host)', () => {
  it('finishes a call in flight on SIGTERM, then exits 0', async () => {
    const child = spawn(process.execPath, [join(FUNCTIONS, 'sleep', 'server.mjs')], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', PORT: '0' },
      stdio: ['ignore', 'ignore', 'pipe']
    })
    try {
      const port = await new Promise<number>((resolvePromise, reject) => {
        let err = ''
        child.stderr.on('data', (c: Buffer) => {
          err += c.toString()
          const m = /listening on :(\d+)/.exec(err)
          if (m?.[1] != null) resolvePromise(Number(m[1]))
        })
        child.on('exit', (code) => reject(new Error(`server exited ${code}: ${err}`)))
      })
      const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)))
      const pending = call(port, 'GET', '/?ms=300')
      await new Promise((r) => setTimeout(r, 100))
      child.kill('SIGTERM')
      const r = await pending
      expect(r.status).toBe(200)
      expect(r.ms).toBeGreaterThanOrEqual(300)
      expect(await exited).toBe(0)
    } finally {
      if (child.exitCode == null) child.kill('SIGKILL')
    }
  })
})
