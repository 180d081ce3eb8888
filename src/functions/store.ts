import { randomBytes } from 'node:crypto'
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises'
import { join } from 'node:path'
import * as z from 'zod'
import { formatIssue, friendlyError, issuesFromZod, type SpecIssue } from './errors.js'
import { checkFunctionSpec, functionSpecSchema } from './spec-schema.js'
import type { FunctionSpec } from './types.js'

export const FUNCTIONS_FILE = 'functions.json'
const FILE_VERSION = 1

/** The functions a node has deployed, kept in memory and on disk across restarts. */
export interface FunctionStore {
  /** Reads the file (missing file: no functions). Throws FunctionStoreError if it is damaged. */
  load(): Promise<FunctionSpec[]>
  /** Adds or replaces the function of that name. Resolves once it is on disk. */
  save(spec: FunctionSpec): Promise<void>
  /** Resolves false if there was no such function. */
  remove(name: string): Promise<boolean>
  /** What is on disk, by name; empty until the first load, save or remove. */
  list(): FunctionSpec[]
  get(name: string): FunctionSpec | undefined
}

export interface FunctionStoreInit {
  dataDir: string
}

/** The store's file cannot be read, is damaged, or cannot be written. Names the file. */
export class FunctionStoreError extends Error {
  override name = 'FunctionStoreError'
  readonly file: string
  readonly issues: string[]

  constructor (file: string, message: string, issues: string[] = [], options?: ErrorOptions) {
    super([message, ...issues.map(i => `  ${i}`)].join('\n'), options)
    this.file = file
    this.issues = issues
  }
}

const fileSchema = z.strictObject({
  version: z.literal(FILE_VERSION),
  functions: z.array(z.unknown())
})

/**
 * `<dataDir>/functions.json`, rewritten whole on every change: temp file, fsync, rename, so a crash
 * leaves the old list or the new one, never half of one. Changes run one at a time, and memory is
 * updated only once the disk is, so list() and get() never show what a restart would lose.
 */
export function createFunctionStore (init: FunctionStoreInit): FunctionStore {
  const file = join(init.dataDir, FUNCTIONS_FILE)
  let specs: Map<string, FunctionSpec> | undefined
  let tail: Promise<unknown> = Promise.resolve()

  const serial = <T>(task: () => Promise<T>): Promise<T> => {
    const run = tail.then(task, task)
    tail = run.catch(() => {})
    return run
  }
  // A change before load() must not overwrite the file with only itself.
  const current = async (): Promise<Map<string, FunctionSpec>> => (specs ??= await readStore(init.dataDir, file))
  const commit = async (next: Map<string, FunctionSpec>): Promise<void> => {
    await writeStore(init.dataDir, file, next)
    specs = next
  }

  return {
    load: async () => await serial(async () => {
      specs = await readStore(init.dataDir, file)
      return byName(specs)
    }),
    save: async spec => {
      const checked = checkFunctionSpec(spec)
      await serial(async () => { await commit(new Map(await current()).set(checked.name, checked)) })
    },
    remove: async name => await serial(async () => {
      const next = new Map(await current())
      if (!next.delete(name)) return false
      await commit(next)
      return true
    }),
    list: () => byName(specs ?? new Map()),
    get: name => {
      const spec = specs?.get(name)
      return spec == null ? undefined : structuredClone(spec)
    }
  }
}

const byName = (specs: Map<string, FunctionSpec>): FunctionSpec[] =>
  [...specs.values()].sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0).map(s => structuredClone(s))

async function readStore (dir: string, file: string): Promise<Map<string, FunctionSpec>> {
  await removeStaleTemps(dir)
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err: any) {
    if (err.code === 'ENOENT') return new Map()
    throw new FunctionStoreError(file, `${file}: cannot read the deployed functions (${String(err.message)})`, [], { cause: err })
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (err: any) {
    throw damaged(file, [`not valid JSON: ${String(err.message)}`])
  }
  return parseStore(file, json)
}

/** Every spec goes through the same schema as a new one: a hand-edited file gets no shortcut. */
function parseStore (file: string, json: unknown): Map<string, FunctionSpec> {
  const top = fileSchema.safeParse(json, { error: friendlyError })
  if (!top.success) throw damaged(file, issuesFromZod(top.error).map(formatIssue))
  const specs = new Map<string, FunctionSpec>()
  const issues: SpecIssue[] = []
  top.data.functions.forEach((raw, i) => {
    const r = functionSpecSchema.safeParse(raw, { error: friendlyError })
    if (!r.success) {
      issues.push(...issuesFromZod(r.error).map(x => ({ path: ['functions', i, ...x.path], message: x.message })))
    } else if (specs.has(r.data.name)) {
      issues.push({ path: ['functions', i, 'name'], message: `"${r.data.name}" appears twice` })
    } else {
      specs.set(r.data.name, r.data)
    }
  })
  if (issues.length > 0) throw damaged(file, issues.map(formatIssue))
  return specs
}

// Not dropped or replaced silently: the file is the only record of what was deployed.
const damaged = (file: string, issues: string[]): FunctionStoreError =>
  new FunctionStoreError(file, `${file} is damaged; fix it or move it aside (the node does not overwrite it):`, issues)

const TEMP = new RegExp(`^${FUNCTIONS_FILE.replace('.', '\\.')}\\.[0-9a-f]+\\.tmp$`)

async function writeStore (dir: string, file: string, specs: Map<string, FunctionSpec>): Promise<void> {
  const text = JSON.stringify({ version: FILE_VERSION, functions: byName(specs) }, null, 2) + '\n'
  const temp = `${file}.${randomBytes(8).toString('hex')}.tmp`
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 })
    const fh = await open(temp, 'wx', 0o600)
    try {
      // Environment values may hold credentials: owner only, whatever the umask.
      await fh.chmod(0o600)
      await fh.writeFile(text)
      await fh.sync()
    } finally {
      await fh.close()
    }
    await rename(temp, file)
  } catch (err: any) {
    // The cleanup must not hide the error that matters.
    await rm(temp, { force: true }).catch(() => {})
    throw new FunctionStoreError(file, `${file}: could not save the deployed functions (${String(err.message)})`, [], { cause: err })
  }
  await syncDir(dir)
}

/** Makes the rename itself durable. Best effort: not every platform can fsync a directory. */
async function syncDir (dir: string): Promise<void> {
  try {
    const fh = await open(dir, 'r')
    try { await fh.sync() } finally { await fh.close() }
  } catch {}
}

/** Temp files a crash left between write and rename: saves that never finished, so no caller was told they had. */
async function removeStaleTemps (dir: string): Promise<void> {
  let names: string[]
  try {
    names = await readdir(dir)
  } catch {
    return
  }
  await Promise.all(names.filter(n => TEMP.test(n)).map(async n => { await rm(join(dir, n), { force: true }) }))
}
