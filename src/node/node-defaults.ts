import { readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import * as z from 'zod'
import { FUNCTION_DEFAULTS } from '../functions/types.js'
import type { NodeDefaults } from '../registry/registry.js'

const FILE = 'configuration.json'
const schema = z.object({ concurrency: z.number().int().min(1).max(1024), queue: z.number().int().min(0).max(100_000) })

/** The node-wide slots/queue set with POST /configuration, kept across restarts. */
export async function loadNodeDefaults (dataDir: string): Promise<NodeDefaults> {
  const path = join(dataDir, FILE)
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err: any) {
    if (err.code === 'ENOENT') return { concurrency: FUNCTION_DEFAULTS.concurrency, queue: FUNCTION_DEFAULTS.queue }
    throw err
  }
  const parsed = schema.safeParse((() => { try { return JSON.parse(text) } catch { return undefined } })())
  if (!parsed.success) throw new Error(`${path} is damaged; fix it or delete it to go back to the defaults`)
  return parsed.data
}

export async function saveNodeDefaults (dataDir: string, defaults: NodeDefaults): Promise<void> {
  const path = join(dataDir, FILE)
  await writeFile(`${path}.tmp`, JSON.stringify(defaults) + '\n', { mode: 0o600 })
  await rename(`${path}.tmp`, path)
}
