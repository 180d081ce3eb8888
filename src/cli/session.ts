import { open } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { deadlineSignal } from '../abort.js'
import { peerIdIn } from '../mesh/addr.js'
import { loadOrCreateIdentity, type Identity } from '../mesh/identity.js'
import { createMeshLibp2p, MDNS_SERVICE_TAG, type MeshLibp2p } from '../mesh/libp2p.js'
import { createMdnsDiscovery } from '../mesh/mdns.js'
import { createLogger } from '../log.js'
import { isTruthy } from '../rules.js'
import { readSwarmKey } from '../mesh/swarm-key.js'
import type { PeerInfo } from '@libp2p/interface'
import type { Command } from 'commander'

/** Exit codes scripts can rely on, shared by every command. */
export const EXIT = { ok: 0, functionError: 1, usage: 2, overloaded: 3, notFound: 4, unreachable: 5, timeout: 6, unauthorised: 7 } as const

/** Stable error codes (of nodes and of the CLI) → exit codes; anything else is `otherwise`. */
const EXIT_BY_CODE: Readonly<Record<string, number>> = {
  OVERLOADED: EXIT.overloaded,
  THROTTLED: EXIT.overloaded,
  FUNCTION_NOT_FOUND: EXIT.notFound,
  UNREACHABLE: EXIT.unreachable,
  FUNCTION_UNREACHABLE: EXIT.unreachable,
  LOST: EXIT.unreachable,
  TIMEOUT: EXIT.timeout,
  BAD_REQUEST: EXIT.usage,
  UNAUTHORIZED: EXIT.unauthorised
}

export const exitForCode = (code: string, otherwise: number = EXIT.functionError): number => EXIT_BY_CODE[code] ?? otherwise

/** commander's accumulator for repeatable options. */
export const collect = (value: string, previous: string[]): string[] => [...previous, value]

/** `-H name:value`, repeatable: names lower-cased and checked as HTTP tokens. */
export function parseHeaders (raw: readonly string[]): Record<string, string> {
  const headers: Record<string, string> = {}
  for (const h of raw) {
    const colon = h.indexOf(':')
    const name = h.slice(0, colon).trim().toLowerCase()
    if (colon <= 0 || !/^[!#$%&'*+.^_`|~0-9a-z-]+$/.test(name)) throw new CliError(EXIT.usage, `-H "${h}": headers are name:value`)
    headers[name] = h.slice(colon + 1).trim()
  }
  return headers
}

/** A file the user named (a body, a payload), read whole but never past `maxBytes`. */
export async function readFileBounded (file: string, maxBytes: number, flag: string): Promise<Uint8Array> {
  const handle = await open(file, 'r').catch((err: Error) => { throw new CliError(EXIT.usage, `${flag}: cannot read ${file}: ${err.message}`) })
  try {
    const { size } = await handle.stat()
    if (size > maxBytes) throw new CliError(EXIT.usage, `${flag}: ${file} is ${size} bytes; at most ${maxBytes}`)
    return await handle.readFile()
  } catch (err) {
    if (err instanceof CliError) throw err
    throw new CliError(EXIT.usage, `${flag}: cannot read ${file}: ${(err as Error).message}`)
  } finally {
    await handle.close()
  }
}

/** A failure the CLI reports as one line on stderr and an exit code. */
export class CliError extends Error {
  constructor (readonly exitCode: number, message: string) {
    super(message)
    this.name = 'CliError'
  }
}

/** Options every command that talks to the mesh takes. */
export interface MeshOptions {
  peer?: string
  swarmKey?: string
  discover: string
}

export function addMeshOptions (cmd: Command): Command {
  return cmd
    .option('--peer <multiaddr>', 'the node to talk to, with its /p2p/<id> (P2PFAAS_PEER); found with mDNS when absent')
    .option('--swarm-key <file>', 'the mesh\'s private network key (P2PFAAS_SWARM_KEY)')
    .option('--discover <ms>', 'how long to look for a node with mDNS when there is no --peer', '3000')
}

/** Where the CLI keeps its identity: `$XDG_CONFIG_HOME/p2pfaas`, else `~/.config/p2pfaas`. */
export function cliConfigDir (env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CONFIG_HOME ?? join(env.HOME ?? homedir(), '.config'), 'p2pfaas')
}

/**
 * The CLI's own Ed25519 key, made on first use. Nodes trust it for management by its PeerId
 * (`p2pfaas node --admin <id>`), so it must stay the same from one run to the next.
 */
export async function cliIdentity (env: NodeJS.ProcessEnv = process.env): Promise<Identity> {
  return await loadOrCreateIdentity(cliConfigDir(env))
}

export interface Session {
  libp2p: MeshLibp2p
  /** The node this session talks to. */
  peer: string
  addr: Multiaddr
  close(): Promise<void>
}

export interface SessionInit {
  /**
   * 'persistent' for commands that need the node's trust (deploy, rm). Others use a throwaway key:
   * two processes with one PeerId confuse per-peer state in the nodes (gossipsub keeps one stream
   * per peer), and a user may well run `top` beside `invoke`.
   */
  identity?: 'persistent' | 'ephemeral'
  env?: NodeJS.ProcessEnv
  signal?: AbortSignal
}

/** Runs a command body, turning a CliError (or anything else) into a message and an exit code. */
export async function runCommand (name: string, body: () => Promise<number | undefined>): Promise<never> {
  let code: number
  try {
    code = (await body()) ?? EXIT.ok
  } catch (err: any) {
    code = err instanceof CliError ? err.exitCode : EXIT.functionError
    process.stderr.write(`p2pfaas ${name}: ${err instanceof CliError ? err.message : (err?.stack ?? String(err))}\n`)
  }
  // Let stdout drain before exiting: a pipe reader must get every byte.
  await new Promise<void>(resolve => process.stdout.write('', () => { resolve() }))
  process.exit(code)
}

export function parseTarget (target: string, flag = '--peer'): { addr: Multiaddr, peer: string } {
  let addr
  try { addr = multiaddr(target) } catch { throw new CliError(EXIT.usage, `${flag}: "${target}" is not a multiaddr; e.g. /ip4/192.168.1.10/tcp/4001/p2p/12D3KooW...`) }
  const peer = peerIdIn(addr)
  if (peer == null) throw new CliError(EXIT.usage, `${flag}: "${target}" has no /p2p/<peerId> (the node logs its PeerId; /mesh shows it)`)
  return { addr, peer }
}

export function parseWhole (value: string, flag: string, min: number, max: number): number {
  const n = Number(value)
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) throw new CliError(EXIT.usage, `${flag} takes a whole number from ${min} to ${max}`)
  return n
}

/**
 * Starts the CLI's libp2p peer and connects it to one node: the one named by --peer (or
 * P2PFAAS_PEER), else the first that answers on mDNS within --discover ms. The CLI never listens.
 */
export async function openSession (opts: MeshOptions, init: SessionInit = {}): Promise<Session> {
  const env = init.env ?? process.env
  const target = opts.peer ?? (env.P2PFAAS_PEER !== '' ? env.P2PFAAS_PEER : undefined)
  const fixed = target != null ? parseTarget(target) : undefined
  if (fixed == null && isTruthy(env.P2PFAAS_NO_MDNS)) {
    throw new CliError(EXIT.usage, 'which node? mDNS is off (P2PFAAS_NO_MDNS): give --peer /ip4/<address>/tcp/4001/p2p/<peerId>')
  }
  const discoverMs = parseWhole(opts.discover, '--discover', 100, 60_000)
  const swarmKeyFile = opts.swarmKey ?? (env.P2PFAAS_SWARM_KEY !== '' ? env.P2PFAAS_SWARM_KEY : undefined)
  const swarmKey = swarmKeyFile != null ? await readSwarmKey(swarmKeyFile).catch((err: Error) => { throw new CliError(EXIT.usage, err.message) }) : undefined
  const privateKey = init.identity === 'persistent'
    ? (await cliIdentity(env).catch((err: Error) => { throw new CliError(EXIT.usage, `cannot use the CLI identity in ${cliConfigDir(env)}: ${err.message}`) })).privateKey
    : await generateKeyPair('Ed25519')

  const libp2p = await createMeshLibp2p({
    privateKey,
    listen: [],
    swarmKey,
    role: 'cli'
  })
  await libp2p.start()
  const close = async (): Promise<void> => { await libp2p.stop() }
  try {
    const found = fixed ?? await discover(libp2p, discoverMs, init.signal)
    if (fixed != null) {
      const deadline = deadlineSignal(10_000, init.signal)
      await libp2p.dial(fixed.addr, { signal: deadline.signal })
        .catch((err: Error) => { throw new CliError(EXIT.unreachable, `cannot reach ${target}: ${err.message} (is the node running, its libp2p port open, and the swarm key the mesh's?)`) })
        .finally(deadline.clear)
    }
    return { libp2p, peer: found.peer, addr: found.addr, close }
  } catch (err) {
    await close()
    throw err
  }
}

/** The first node that answers on mDNS and accepts our connection (swarm key and all). */
async function discover (libp2p: MeshLibp2p, timeoutMs: number, outer?: AbortSignal): Promise<{ addr: Multiaddr, peer: string }> {
  const { signal, clear } = deadlineSignal(timeoutMs, outer)
  // The CLI only looks: it never answers or announces, and keeps asking (each query lists the nodes
  // already heard, so the next answers come from others: a node of another mesh is not the only one).
  const mdns = createMdnsDiscovery({ serviceTag: MDNS_SERVICE_TAG, advertise: false, maxQueryIntervalMs: 1000 }, {
    peerId: libp2p.peerId,
    addresses: () => [],
    isolated: () => true,
    log: createLogger({ level: 'silent' })
  })
  const tried = new Set<string>()
  const failures: string[] = []
  try {
    return await new Promise((resolve, reject) => {
      const finish = (): void => { clear(); mdns.removeEventListener('peer', onPeer); signal.removeEventListener('abort', onAbort) }
      const onAbort = (): void => {
        finish()
        reject(new CliError(EXIT.unreachable, `no P2PFaaS node answered on mDNS within ${timeoutMs} ms${failures.length > 0 ? ` (${failures.join('; ')})` : ''}: ` +
          'are you on the mesh\'s LAN? Name a node with --peer /ip4/<address>/tcp/4001/p2p/<peerId>'))
      }
      const onPeer = (evt: CustomEvent<PeerInfo>): void => {
        const peer = evt.detail.id.toString()
        if (tried.has(peer)) return
        tried.add(peer)
        const addrs = evt.detail.multiaddrs.filter(a => a.getComponents().some(c => c.name === 'tcp')).map(a => a.encapsulate(`/p2p/${peer}`))
        if (addrs.length === 0) return
        libp2p.dial(addrs, { signal }).then(conn => {
          finish()
          resolve({ addr: conn.remoteAddr.encapsulate(`/p2p/${peer}`), peer })
        }, (err: Error) => { failures.push(`${peer.slice(0, 12)}…: ${err.message}`) })
      }
      mdns.addEventListener('peer', onPeer)
      signal.addEventListener('abort', onAbort, { once: true })
      void mdns.start()
    })
  } finally {
    await mdns.stop()
  }
}
