import { execFile } from 'node:child_process'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterEach, describe, expect, it } from 'vitest'
import { repoPath } from '../helpers/cli.js'

/**
 * src/wire/ is generated from protocols/*.proto: generating it again (into a temporary folder, so
 * the tree is left alone) must give the same files, byte for byte. If this fails, a schema changed
 * without `npm run gen:wire`, or a generated file was edited by hand.
 */

const run = promisify(execFile)
let dir: string | undefined

afterEach(async () => {
  if (dir != null) await rm(dir, { recursive: true, force: true })
  dir = undefined
})

async function filesOf (folder: string): Promise<Map<string, string>> {
  const names = (await readdir(folder)).filter(n => n.endsWith('.ts')).sort()
  return new Map(await Promise.all(names.map(async n => [n, await readFile(join(folder, n), 'utf8')] as const)))
}

describe('the generated wire codecs', () => {
  it('are what npm run gen:wire makes of protocols/', async () => {
    dir = await mkdtemp(join(tmpdir(), 'p2pfaas-wire-'))
    await run(process.execPath, [repoPath('scripts', 'gen-wire.mjs'), dir], { cwd: repoPath() })
    const fresh = await filesOf(dir)
    const committed = await filesOf(repoPath('src', 'wire'))
    expect([...fresh.keys()]).toEqual([...committed.keys()])
    for (const [name, text] of fresh) expect(committed.get(name), `src/wire/${name} differs from what gen:wire generates`).toBe(text)
  })
})
