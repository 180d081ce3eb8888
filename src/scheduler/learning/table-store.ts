import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import * as z from 'zod'
import type { LearntTable } from './policy.js'

/** In the node's data dir, beside its identity and configuration. */
export const TABLE_FILE = 'learning-table.json'
/** Far above any table the parameters allow (100000 states of 11 values): a larger file is not read. */
export const MAX_TABLE_BYTES = 64 * 1024 * 1024
const MAX_STATES = 100_000

const tableSchema = z.strictObject({
  format: z.literal(1),
  savedAt: z.string().max(64),
  shape: z.strictObject({
    encoding: z.string().min(1).max(16),
    taskTypes: z.number().int().min(1).max(16),
    actions: z.array(z.string().min(1).max(32)).min(2).max(16)
  }),
  averageReward: z.number(),
  updates: z.number().int().min(0),
  states: z.record(z.string().min(1).max(256), z.array(z.number()))
}).superRefine((t, ctx) => {
  const entries = Object.entries(t.states)
  if (entries.length > MAX_STATES) ctx.addIssue({ code: 'custom', path: ['states'], message: `has ${entries.length} states; at most ${MAX_STATES}` })
  const bad = entries.find(([, row]) => row.length !== t.shape.actions.length)
  if (bad !== undefined) ctx.addIssue({ code: 'custom', path: ['states', bad[0]], message: `has ${bad[1].length} values for ${t.shape.actions.length} actions` })
})

/** What loading found: nothing stored, a table, or a file that was not one (moved aside, never read again). */
export type LoadedTable =
  | { kind: 'none' }
  | { kind: 'table', table: LearntTable }
  | { kind: 'set-aside', reason: string, movedTo: string }

export interface TableStore {
  readonly path: string
  load(): Promise<LoadedTable>
  /** Atomically: a reader never sees half a table, a crash mid-write leaves the previous one. */
  save(table: LearntTable): Promise<void>
  /** Moves the stored table aside (`<file>.<why>-<time>`), keeping it for a person to look at. */
  setAside(why: string): Promise<string | undefined>
  remove(): Promise<void>
}

export interface TableStoreInit {
  dataDir: string
  /** For the names of files set aside; default Date.now. */
  now?: () => number
}

/**
 * The learning policy's table on disk: the I/O at the edge, so the policy stays pure. A file that
 * is not a table (truncated, edited by hand, from a future version) is moved aside as
 * `learning-table.json.corrupt-<time>` and learning starts afresh: a damaged file must never stop a
 * node, nor be overwritten before someone could look at it.
 */
export function createTableStore (init: TableStoreInit): TableStore {
  const path = join(init.dataDir, TABLE_FILE)
  const now = init.now ?? Date.now

  const setAside = async (why: string): Promise<string | undefined> => {
    const to = `${path}.${why}-${new Date(now()).toISOString().replace(/[:.]/g, '-')}`
    try {
      await rename(path, to)
      return to
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw err
    }
  }

  const corrupt = async (reason: string): Promise<LoadedTable> => {
    const movedTo = await setAside('corrupt')
    return movedTo === undefined ? { kind: 'none' } : { kind: 'set-aside', reason, movedTo }
  }

  return {
    path,
    async load () {
      let text: string
      try {
        if ((await stat(path)).size > MAX_TABLE_BYTES) return await corrupt(`larger than ${MAX_TABLE_BYTES} bytes`)
        text = await readFile(path, 'utf8')
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'none' }
        throw err
      }
      let json: unknown
      try {
        json = JSON.parse(text)
      } catch (err) {
        return await corrupt(`not JSON: ${(err as Error).message}`)
      }
      const parsed = tableSchema.safeParse(json)
      if (!parsed.success) {
        return await corrupt(parsed.error.issues.slice(0, 3).map(i => `${i.path.join('.') || 'file'}: ${i.message}`).join('; '))
      }
      const { format: _format, savedAt: _savedAt, ...table } = parsed.data
      return { kind: 'table', table }
    },
    async save (table) {
      await mkdir(init.dataDir, { recursive: true })
      const text = JSON.stringify({ format: 1, savedAt: new Date(now()).toISOString(), ...table })
      const tmp = `${path}.tmp-${process.pid}`
      await writeFile(tmp, text + '\n', { mode: 0o600 })
      await rename(tmp, path)
    },
    setAside,
    async remove () {
      await rm(path, { force: true })
    }
  }
}
