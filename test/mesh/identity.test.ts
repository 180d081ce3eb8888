import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { afterEach, describe, expect, it } from 'vitest'
import { IDENTITY_FILE, loadOrCreateIdentity } from '../../src/mesh/identity.js'
import { newSwarmKey, readSwarmKey } from '../../src/mesh/swarm-key.js'

const dirs: string[] = []
const tempDir = async (): Promise<string> => { const d = await mkdtemp(join(tmpdir(), 'p2pfaas-test-')); dirs.push(d); return d }
afterEach(async () => { await Promise.all(dirs.splice(0).map(async d => { await rm(d, { recursive: true, force: true }) })) })

describe('node identity', () => {
  it('is created once, kept private, and loaded again with the same PeerId', async () => {
    const dir = join(await tempDir(), 'nested', 'data')
    const first = await loadOrCreateIdentity(dir)
    expect(first.created).toBe(true)
    expect((await stat(first.path)).mode & 0o777).toBe(0o600)
    const second = await loadOrCreateIdentity(dir)
    expect(second.created).toBe(false)
    expect(peerIdFromPrivateKey(second.privateKey).equals(peerIdFromPrivateKey(first.privateKey))).toBe(true)
  })

  it('refuses a damaged key file instead of silently becoming a new node', async () => {
    const dir = await tempDir()
    await writeFile(join(dir, IDENTITY_FILE), 'garbage')
    await expect(loadOrCreateIdentity(dir)).rejects.toThrow(/damaged.*move it away/)
  })

  it('gives concurrent starts the same key', async () => {
    const dir = await tempDir()
    const [a, b] = await Promise.all([loadOrCreateIdentity(dir), loadOrCreateIdentity(dir)])
    expect(peerIdFromPrivateKey(a.privateKey).toString()).toBe(peerIdFromPrivateKey(b.privateKey).toString())
  })
})

describe('swarm key', () => {
  it('reads a generated key', async () => {
    const path = join(await tempDir(), 'swarm.key')
    const text = newSwarmKey()
    expect(text).toMatch(/^\/key\/swarm\/psk\/1\.0\.0\/\n\/base16\/\n[0-9a-f]{64}$/)
    await writeFile(path, text)
    expect(new TextDecoder().decode(await readSwarmKey(path))).toBe(text)
  })

  it('explains what is wrong with a bad or missing file', async () => {
    const dir = await tempDir()
    await writeFile(join(dir, 'bad.key'), '/key/swarm/psk/1.0.0/\n/base16/\nabc\n')
    await expect(readSwarmKey(join(dir, 'bad.key'))).rejects.toThrow(/not a swarm key.*p2pfaas swarm-key/)
    await expect(readSwarmKey(join(dir, 'missing.key'))).rejects.toThrow(/cannot read the swarm key/)
    await writeFile(join(dir, 'huge.key'), 'x'.repeat(5000))
    await expect(readSwarmKey(join(dir, 'huge.key'))).rejects.toThrow(/too large/)
  })
})
