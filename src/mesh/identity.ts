import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'

export const IDENTITY_FILE = 'identity.key'

export interface Identity {
  privateKey: PrivateKey
  /** True when this start created it: the node is new to the mesh. */
  created: boolean
  path: string
}

/**
 * The node's Ed25519 key, kept in the data dir so a restarted node keeps its PeerId (peers, trust
 * lists and experiment logs all name nodes by it). Written 0600: it is the node's credential.
 */
export async function loadOrCreateIdentity (dataDir: string): Promise<Identity> {
  const path = join(dataDir, IDENTITY_FILE)
  let bytes: Uint8Array | undefined
  try {
    bytes = await readFile(path)
  } catch (err: any) {
    if (err.code !== 'ENOENT') throw new Error(`cannot read the identity key ${path}: ${err.message}`)
  }
  if (bytes != null) {
    try {
      return { privateKey: privateKeyFromProtobuf(bytes), created: false, path }
    } catch (err: any) {
      throw new Error(`the identity key ${path} is damaged (${err.message}); move it away to start as a new node`)
    }
  }
  await mkdir(dataDir, { recursive: true, mode: 0o700 })
  const privateKey = await generateKeyPair('Ed25519')
  // 'wx' fails if a concurrent start won the race: then use its key, never overwrite one.
  try {
    await writeFile(path, privateKeyToProtobuf(privateKey), { mode: 0o600, flag: 'wx' })
  } catch (err: any) {
    if (err.code === 'EEXIST') return await loadOrCreateIdentity(dataDir)
    throw err
  }
  await chmod(path, 0o600)
  return { privateKey, created: true, path }
}
