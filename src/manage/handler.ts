import { refusalMessage, type PeerAccess } from '../access.js'
import { FunctionSpecError, parseDeployBody } from '../functions/openfaas.js'
import { parseStackYaml } from '../functions/stack.js'
import { deployAll } from '../registry/deploy-all.js'
import { FrameRefusal, readJsonRequest, serveOneFrame, type FrameReader } from '../json-frame.js'
import { MANAGE_PROTOCOL, ManageRequestSchema, MAX_REQUEST_BYTES, MAX_RESPONSE_BYTES, MAX_STREAMS, PRIVATE_READ_OPS, PRIVILEGED_OPS, READ_TIMEOUT_MS, type ManageRequest, type ManageResults, type PeerView } from './protocol.js'
import type { Executor } from '../executor/executor.js'
import type { FunctionRegistry } from '../registry/registry.js'
import type { FunctionSpec } from '../functions/types.js'
import { createRemoteWarn, type Logger, type RemoteWarn } from '../log.js'
import type { NodeLoad } from '../mesh/load.js'
import type { PeerLimiter } from '../mesh/peer-limiter.js'
import type { Connection, Libp2p, PeerId, Startable, Stream } from '@libp2p/interface'

export interface ManageHandlerInit {
  /** A peer must send its request within this (ms). */
  readTimeoutMs?: number
  /** Round trip to one peer (ms), for `peers` with ping; undefined when it does not answer. */
  ping?: (peer: PeerId, signal: AbortSignal) => Promise<number | undefined>
  /** A peer's repeated warning is logged at most once per this (ms). */
  warnEveryMs?: number
}

/** This node and its peers as `peers` and `list` show them (built by the node's one owner of them). */
export interface ManageNodeState {
  self(): { peerId: string, addrs: string[], version: string, policy: string, load: NodeLoad }
  peers(): Array<{ peerId: string, addrs: string[], connected: boolean, link: boolean, lastSeenMs: number, loadAgeMs: number | null, functions: string[], load: NodeLoad }>
}

export interface ManageHandlerComponents {
  libp2p: Pick<Libp2p, 'peerId' | 'handle' | 'unhandle' | 'getConnections'>
  registry: FunctionRegistry
  executor: Pick<Executor, 'loadOf' | 'snapshot'>
  state: ManageNodeState
  invocations: (name: string) => number
  /** Who may change the node, and who may read it (`--admin`, the admin secret, `--private-reads`). */
  access: PeerAccess
  log: Logger
  /** Requests one peer may send; none: no limit. */
  limiter?: PeerLimiter
}

type Ops = { [Op in ManageRequest['op']]: (req: Extract<ManageRequest, { op: Op }>, from: Connection) => Promise<ManageResults[Op]> }

/**
 * The receiving end of /p2pfaas/manage/1.0.0: what `p2pfaas deploy|rm|ls|peers|top` ask. Reads are
 * open to any peer of the mesh (membership tells them as much) unless reads are private; changes
 * need a trusted PeerId or the admin secret. A bad request gets BAD_REQUEST, never a crash.
 */
export class ManageHandler implements Startable {
  private readonly readTimeoutMs: number
  private readonly log: Logger
  private readonly warn: RemoteWarn
  private readonly warnError: RemoteWarn
  private readonly ops: Ops
  private started = false

  constructor (private readonly init: ManageHandlerInit, private readonly c: ManageHandlerComponents) {
    this.readTimeoutMs = init.readTimeoutMs ?? READ_TIMEOUT_MS
    this.log = c.log.child({ component: 'manage' })
    this.warn = createRemoteWarn(this.log, { everyMs: init.warnEveryMs })
    this.warnError = createRemoteWarn(this.log, { everyMs: init.warnEveryMs, level: 'error' })
    this.ops = {
      whoami: async (req, from) => ({ you: from.remotePeer.toString(), admin: this.c.access.isAdmin(from.remotePeer.toString(), req.secret), node: this.node }),
      list: async () => this.list(),
      peers: async (req) => await this.peers(req.ping === true),
      load: async () => {
        const mine = this.c.executor.snapshot()
        return { node: this.node, functions: mine.functions, totals: mine.totals }
      },
      deploy: async (req) => await this.deploy(req),
      remove: async (req) => {
        if (!await this.c.registry.remove(req.name)) throw new FrameRefusal('FUNCTION_NOT_FOUND', `function ${req.name} is not deployed on this node`)
        this.log.info({ function: req.name }, 'removed over the management protocol')
        return { removed: req.name }
      }
    }
  }

  async start (): Promise<void> {
    await this.c.libp2p.handle(MANAGE_PROTOCOL, (stream, connection) => { void this.onStream(stream, connection) }, { maxInboundStreams: MAX_STREAMS })
    this.started = true
  }

  async stop (): Promise<void> {
    await this.c.libp2p.unhandle(MANAGE_PROTOCOL)
    this.started = false
  }

  isStarted (): boolean {
    return this.started
  }

  private get node (): string {
    return this.c.libp2p.peerId.toString()
  }

  private list (): ManageResults['list'] {
    return {
      node: this.node,
      functions: this.c.registry.list().map(fn => {
        const { total, ready } = this.c.registry.instances(fn.spec.name)
        const load = this.c.executor.loadOf(fn.spec.name)
        return {
          name: fn.spec.name,
          image: fn.spec.image,
          runtime: fn.runtime,
          concurrency: fn.admission.concurrency,
          queue: fn.admission.queue,
          replicas: total,
          availableReplicas: ready,
          invocationCount: this.c.invocations(fn.spec.name),
          ...(load != null ? { load: { name: fn.spec.name, queued: load.queued, running: load.running, capacity: load.capacity } } : {})
        }
      }),
      peers: this.c.state.peers().map(p => ({ peerId: p.peerId, functions: p.functions }))
    }
  }

  private async peers (ping: boolean): Promise<ManageResults['peers']> {
    const known = this.c.state.peers()
    const latencies = ping && this.init.ping != null
      ? await Promise.all(known.map(async p => p.connected ? await this.pingPeer(p.peerId) : undefined))
      : known.map(() => undefined)
    const { load, ...self } = this.c.state.self()
    return {
      self: { peerId: self.peerId, addrs: self.addrs, version: self.version, policy: self.policy, functions: load.functions, totals: load.totals },
      peers: known.map((p, i): PeerView => ({
        peerId: p.peerId,
        addrs: p.addrs,
        connected: p.connected,
        link: p.link,
        lastSeenMs: p.lastSeenMs,
        loadAgeMs: p.loadAgeMs,
        ...(latencies[i] != null ? { latencyMs: latencies[i] } : {}),
        functions: p.load.functions.map(f => ({ ...f })),
        totals: { ...p.load.totals }
      }))
    }
  }

  private async deploy (req: Extract<ManageRequest, { op: 'deploy' }>): Promise<ManageResults['deploy']> {
    let specs: FunctionSpec[]
    try {
      specs = req.stack != null ? parseStackYaml(req.stack) : req.functions!.map(parseDeployBody)
    } catch (err) {
      if (err instanceof FunctionSpecError) throw new FrameRefusal('BAD_REQUEST', err.message)
      throw err
    }
    const result = await deployAll(this.c.registry, specs)
    if (!result.ok) throw new FrameRefusal(result.code, result.message, result.deployed != null ? { deployed: result.deployed } : {})
    this.log.info({ functions: result.deployed }, 'deployed over the management protocol')
    return { deployed: result.deployed }
  }

  private async pingPeer (peerId: string): Promise<number | undefined> {
    const connection = this.c.libp2p.getConnections().find(conn => conn.remotePeer.toString() === peerId)
    if (connection == null) return undefined
    return await this.init.ping!(connection.remotePeer, AbortSignal.timeout(1000)).catch(() => undefined)
  }

  private mayDo (req: ManageRequest, peer: string): boolean {
    if (PRIVILEGED_OPS.has(req.op)) return this.c.access.isAdmin(peer, req.secret)
    if (PRIVATE_READ_OPS.has(req.op)) return this.c.access.mayRead(peer, req.secret)
    return true
  }

  /** The request, read, checked and authorised: a refusal (FrameRefusal) otherwise. */
  private async request (lp: FrameReader, peer: string): Promise<ManageRequest> {
    // Before the request is read: a flood costs this node the answer, not up to a stack.yml each.
    if (this.c.limiter?.take(peer) === false) {
      const rate = this.c.limiter.rate()
      this.warn(peer, 'throttled manage', { rate }, 'a peer sends more management requests than --peer-manage-rate: refusing them with THROTTLED')
      throw new FrameRefusal('THROTTLED', `node ${this.node} takes at most ${rate} management requests/s from one peer (--peer-manage-rate); slow down`)
    }
    const req = await readJsonRequest(lp, ManageRequestSchema, this.readTimeoutMs)
    if (!this.mayDo(req, peer)) {
      this.warn(peer, 'unauthorised', { op: req.op }, 'refused an unauthorised management request')
      throw new FrameRefusal('UNAUTHORIZED', refusalMessage(this.node, peer, req.op, PRIVILEGED_OPS.has(req.op)))
    }
    return req
  }

  private async onStream (stream: Stream, connection: Connection): Promise<void> {
    const peer = connection.remotePeer.toString()
    await serveOneFrame(stream, {
      maxRequestBytes: MAX_REQUEST_BYTES,
      maxResponseBytes: MAX_RESPONSE_BYTES,
      answer: async lp => {
        const req = await this.request(lp, peer)
        return await (this.ops[req.op] as (r: ManageRequest, from: Connection) => Promise<unknown>)(req, connection)
      },
      onInternal: err => { this.warnError(peer, 'internal', { err: err?.message }, 'management request failed') }
    })
  }
}

export const createManageHandler = (init: ManageHandlerInit, components: ManageHandlerComponents): ManageHandler => new ManageHandler(init, components)
