import { randomBytes } from 'node:crypto'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

export const ADMIN_SECRET_FILE = 'admin-secret'

/**
 * The management credential, as OpenFaaS has it: user `admin`, this secret as password. Generated
 * on first start into the data dir (0600), or read from the operator's own file.
 */
export async function loadOrCreateAdminSecret (dataDir: string, file?: string): Promise<{ secret: string, path: string, created: boolean }> {
  const path = file ?? join(dataDir, ADMIN_SECRET_FILE)
  try {
    const secret = (await readFile(path, 'utf8')).trim()
    if (secret.length < 16) throw new Error(`the admin secret in ${path} is shorter than 16 characters`)
    if (secret.length > 1024) throw new Error(`the admin secret in ${path} is longer than 1024 characters`)
    return { secret, path, created: false }
  } catch (err: any) {
    if (err.code !== 'ENOENT' || file != null) throw new Error(err.code === 'ENOENT' ? `cannot read the admin secret file ${path}` : err.message)
  }
  await mkdir(dataDir, { recursive: true, mode: 0o700 })
  const secret = randomBytes(24).toString('base64url')
  try {
    await writeFile(path, secret + '\n', { mode: 0o600, flag: 'wx' })
  } catch (err: any) {
    if (err.code === 'EEXIST') return await loadOrCreateAdminSecret(dataDir, file)
    throw err
  }
  return { secret, path, created: true }
}
