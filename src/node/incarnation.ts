import { readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

const FILE = 'incarnation'

/**
 * This run's incarnation: the clock in ms, but always above the last run's, which the data dir
 * remembers. Peers order a node's records by (incarnation, seq), so a node whose clock went back
 * (a Raspberry Pi without a real-time clock, booted before NTP) still outranks its old records.
 */
export async function nextIncarnation (dataDir: string, now = Date.now()): Promise<bigint> {
  const path = join(dataDir, FILE)
  let last = 0n
  try {
    const text = (await readFile(path, 'utf8')).trim()
    if (/^\d{1,20}$/.test(text)) last = BigInt(text)
  } catch (err: any) {
    if (err.code !== 'ENOENT') throw err
  }
  const next = BigInt(now) > last ? BigInt(now) : last + 1n
  await writeFile(`${path}.tmp`, `${next}\n`, { mode: 0o600 })
  await rename(`${path}.tmp`, path)
  return next
}
