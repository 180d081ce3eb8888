import { readFile } from 'node:fs/promises'
import { generateKey } from '@libp2p/pnet'

const HEADER = '/key/swarm/psk/1.0.0/'
const MAX_FILE_BYTES = 1024

/**
 * Reads a libp2p/IPFS private-network key file (the go-ipfs format) and checks it here, so a
 * typo gives a clear message at start instead of every connection failing later.
 */
export async function readSwarmKey (path: string): Promise<Uint8Array> {
  let bytes: Buffer
  try {
    bytes = await readFile(path)
  } catch (err: any) {
    throw new Error(`cannot read the swarm key ${path}: ${err.message}`)
  }
  if (bytes.byteLength > MAX_FILE_BYTES) throw new Error(`the swarm key ${path} is too large to be a swarm key`)
  const [tag, codec, hex] = bytes.toString('utf8').split(/\r?\n/)
  if (tag !== HEADER || codec !== '/base16/' || hex == null || !/^[0-9a-fA-F]{64}$/.test(hex.trim())) {
    throw new Error(`the swarm key ${path} is not a swarm key: expected the three lines "${HEADER}", "/base16/" and 64 hex digits (make one with "p2pfaas swarm-key")`)
  }
  return new Uint8Array(bytes)
}

/** A new random swarm key in the file format above. */
export function newSwarmKey (): string {
  const buf = new Uint8Array(95)
  generateKey(buf)
  return new TextDecoder().decode(buf)
}
