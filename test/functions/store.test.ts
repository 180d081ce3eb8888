import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { FunctionSpecError, parseDeployBody } from '../../src/functions/openfaas.js'
import { createFunctionStore, FUNCTIONS_FILE, FunctionStoreError } from '../../src/functions/store.js'
import type { FunctionSpec } from '../../src/functions/types.js'

const spec = (name: string, extra: Record<string, unknown> = {}): FunctionSpec =>
  parseDeployBody({ service: name, image: `ghcr.io/acme/${name}:1`, ...extra })

let dir: string
let file: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'p2pfaas-store-'))
  file = join(dir, FUNCTIONS_FILE)
})
afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

async function loadError (store = createFunctionStore({ dataDir: dir })): Promise<FunctionStoreError> {
  const err = await store.load().then(() => undefined, (e: unknown) => e)
  expect(err).toBeInstanceOf(FunctionStoreError)
  return err as FunctionStoreError
}

describe('createFunctionStore', () => {
  it('starts empty when there is no file, even without the data dir', async () => {
    const store = createFunctionStore({ dataDir: join(dir, 'not', 'yet') })
    expect(await store.load()).toEqual([])
    expect(store.list()).toEqual([])
    expect(store.get('x')).toBeUndefined()
    await store.save(spec('echo'))
    expect(await readdir(join(dir, 'not', 'yet'))).toEqual([FUNCTIONS_FILE])
  })

  it('brings the functions back in a new store on the same dir', async () => {
    const full = spec('pigo', {
      envVars: { input_mode: 'image' },
      labels: { 'p2pfaas.concurrency': '2', 'p2pfaas.min-warm': '2', 'p2pfaas.timeout': '500ms', team: 'vision' },
      annotations: { topic: 'faces' },
      limits: { memory: '256Mi', cpu: '0.5' },
      readOnlyRootFilesystem: true
    })
    const wc = parseDeployBody({ service: 'wc', envProcess: 'wc -l', labels: { 'p2pfaas.runtime': 'process' } })
    const first = createFunctionStore({ dataDir: dir })
    await first.load()
    await first.save(wc)
    await first.save(full)
    expect(first.list().map(s => s.name)).toEqual(['pigo', 'wc'])

    const second = createFunctionStore({ dataDir: dir })
    expect(await second.load()).toEqual([full, wc])
    expect(second.get('pigo')).toEqual(full)
    expect(second.list()).toEqual([full, wc])
  })

  it('replaces a function saved again under the same name', async () => {
    const store = createFunctionStore({ dataDir: dir })
    await store.save(spec('echo'))
    await store.save(spec('echo', { image: 'ghcr.io/acme/echo:2' }))
    expect(await createFunctionStore({ dataDir: dir }).load()).toEqual([spec('echo', { image: 'ghcr.io/acme/echo:2' })])
  })

  it('removes, durably, and says whether there was anything to remove', async () => {
    const store = createFunctionStore({ dataDir: dir })
    await store.save(spec('a'))
    await store.save(spec('b'))
    expect(await store.remove('a')).toBe(true)
    expect(await store.remove('a')).toBe(false)
    expect(store.get('a')).toBeUndefined()
    expect((await createFunctionStore({ dataDir: dir }).load()).map(s => s.name)).toEqual(['b'])
  })

  it('does not overwrite the file when changed before load()', async () => {
    await createFunctionStore({ dataDir: dir }).save(spec('a'))
    const later = createFunctionStore({ dataDir: dir })
    await later.save(spec('b'))
    expect(later.list().map(s => s.name)).toEqual(['a', 'b'])
  })

  it('writes the file owner-only, and leaves no temp files', async () => {
    const store = createFunctionStore({ dataDir: dir })
    for (let i = 0; i < 5; i++) await store.save(spec(`f${i}`, { envVars: { TOKEN: 'secret' } }))
    await store.remove('f0')
    expect((await stat(file)).mode & 0o777).toBe(0o600)
    expect(await readdir(dir)).toEqual([FUNCTIONS_FILE])
  })

  it('keeps every one of many concurrent saves and removes', async () => {
    const store = createFunctionStore({ dataDir: dir })
    await store.save(spec('gone'))
    await Promise.all([
      ...Array.from({ length: 40 }, async (_, i) => { await store.save(spec(`f${i}`)) }),
      store.remove('gone')
    ])
    const names = (await createFunctionStore({ dataDir: dir }).load()).map(s => s.name)
    expect(names).toHaveLength(40)
    expect(new Set(names)).toEqual(new Set(Array.from({ length: 40 }, (_, i) => `f${i}`)))
    expect(await readdir(dir)).toEqual([FUNCTIONS_FILE])
  })

  it('cleans up temp files a crash left behind', async () => {
    await createFunctionStore({ dataDir: dir }).save(spec('a'))
    await writeFile(join(dir, `${FUNCTIONS_FILE}.0123456789abcdef.tmp`), '{"half')
    await writeFile(join(dir, 'identity.key'), 'keep me')
    expect((await createFunctionStore({ dataDir: dir }).load()).map(s => s.name)).toEqual(['a'])
    expect((await readdir(dir)).sort()).toEqual([FUNCTIONS_FILE, 'identity.key'])
  })

  it('hands out copies: changing them does not change the store', async () => {
    const store = createFunctionStore({ dataDir: dir })
    const original = spec('a')
    await store.save(original)
    original.env.CHANGED = 'yes'
    store.get('a')!.env.CHANGED = 'yes'
    store.list()[0]!.labels.CHANGED = 'yes'
    expect(store.get('a')).toEqual(spec('a'))
  })

  it('refuses an invalid spec and writes nothing', async () => {
    const store = createFunctionStore({ dataDir: dir })
    const bad = { ...spec('a'), concurrency: 0, minWarm: 0 }
    await expect(store.save(bad)).rejects.toThrow(FunctionSpecError)
    await expect(store.save({ ...spec('a'), minWarm: 9 })).rejects.toThrow(/minWarm: must not exceed concurrency/)
    await expect(store.save({ ...spec('a'), image: undefined })).rejects.toThrow(/image: is required/)
    expect(await readdir(dir)).toEqual([])
  })

  it('keeps memory as it was when a write fails', async () => {
    const dataDir = join(dir, 'data')
    const store = createFunctionStore({ dataDir })
    await store.save(spec('a'))
    await rm(dataDir, { recursive: true })
    await writeFile(dataDir, 'a file where the data dir should be')
    const err = await store.save(spec('b')).then(() => undefined, (e: unknown) => e)
    expect(err).toBeInstanceOf(FunctionStoreError)
    expect((err as Error).message).toMatch(/could not save/)
    expect(store.list().map(s => s.name)).toEqual(['a'])
    expect(await store.remove('a').catch(() => 'failed')).toBe('failed')
    expect(store.get('a')).toBeDefined()
  })
})

describe('a damaged functions.json', () => {
  it('is an error naming the file, not an empty list', async () => {
    await writeFile(file, '{"version": 1, "functions": [')
    const err = await loadError()
    expect(err.file).toBe(file)
    expect(err.message).toContain(file)
    expect(err.message).toMatch(/not valid JSON/)
  })

  it('is left as it is: saving refuses to overwrite it', async () => {
    await writeFile(file, 'garbage')
    const store = createFunctionStore({ dataDir: dir })
    await expect(store.save(spec('a'))).rejects.toThrow(FunctionStoreError)
    expect(await readFile(file, 'utf8')).toBe('garbage')
  })

  it('names every bad spec with its path in the file', async () => {
    const good = spec('good')
    await writeFile(file, JSON.stringify({
      version: 1,
      functions: [good, { ...good, name: 'Bad_Name', concurrency: 0 }, { ...good, name: 'x', labels: { 'p2pfaas.concurency': '3' } }, good, { ...good, extra: 1 }]
    }))
    const err = await loadError()
    expect(err.issues).toEqual([
      expect.stringMatching(/^functions\[1\]\.name: must be 1 to 63 lowercase/),
      expect.stringMatching(/^functions\[1\]\.concurrency: must be at least 1 \(got 0\)/),
      expect.stringMatching(/^functions\[2\]\.labels\["p2pfaas\.concurency"\]: unknown P2PFaaS label/),
      'functions[3].name: "good" appears twice',
      'functions[4].extra: unknown field'
    ])
    expect(err.message.split('\n')[0]).toContain(file)
  })

  it.each([
    ['an unknown version', { version: 2, functions: [] }, /^version: must be one of 1 \(got 2\)/],
    ['no function list', { version: 1 }, /^functions: is required/],
    ['a list at the top', [], /must be an object \(got a list\)/]
  ])('has %s', async (_, content, pattern) => {
    await writeFile(file, JSON.stringify(content))
    expect((await loadError()).issues[0]).toMatch(pattern)
  })
})
