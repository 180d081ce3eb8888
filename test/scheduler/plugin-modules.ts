import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import type { Logger } from '../../src/log.js'

/** A temp dir to write fixture policy modules into (plain JS, as a researcher's compiled file). */
export interface ModuleDir {
  dir: string
  /** Writes `file` with `source` and returns its absolute path. */
  write(file: string, source: string): Promise<string>
  remove(): Promise<void>
}

export async function moduleDir (): Promise<ModuleDir> {
  const dir = await mkdtemp(join(tmpdir(), 'p2pfaas-policies-'))
  return {
    dir,
    async write (file, source) {
      const path = join(dir, file)
      await writeFile(path, source)
      return path
    },
    remove: async () => { await rm(dir, { recursive: true, force: true }) }
  }
}

/** A module whose default export is `plugin`, written as JS source (functions as text). */
export const pluginSource = (plugin: string): string => `export default ${plugin}\n`

/** A pino logger whose warn lines land in `lines`, parsed. */
export function capturingLog (): { log: Logger, lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = []
  const log = pino({ level: 'warn', base: undefined }, { write: (line: string) => { lines.push(JSON.parse(line)) } })
  return { log, lines }
}
