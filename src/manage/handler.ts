import { lpStream } from '@libp2p/utils'
import { FunctionSpecError, parseDeployBody } from '../functions/openfaas.js'
import { parseStackYaml } from '../functions/stack.js'
import { deployAll } from '../registry/deploy-all.js'
import { decodeJson, encodeJson, MANAGE_PROTOCOL, ManageRequestSchema, MAX_REQUEST_BYTES, MAX_RESPONSE_BYTES, PRIVATE_READ_OPS, PRIVILEGED_OPS, type ManageRequest, type ManageResponse, type ManageResults, type NodeSelf, type PeerView } from './protocol.js'
import type { CallRecorder } from '../observe/recorder.js'
import type { Executor } from '../executor/executor.js'
import type { FunctionRegistry } from '../registry/registry.js'
import type { FunctionSpec } from '../functions/types.js'
import { createRemoteWarn, type Logger } from '../log.js'
import type { PeerLimiter } from '../mesh/peer-limiter.js'
import type { MeshView } from '../mesh/view.js'
import type { Connection, Libp2p, PeerId, Stream } from '@libp2p/interface'

export interface ManageHandlerInit {
  /** PeerIds allowed to deploy and remove (`p2pfaas node --admin`). */
  admins: ReadonlySet<string>
  /** Checks a presented admin secret in constant time. */
  checkSecret: (secret: string) => boolean
  /** A peer must send its request within this (ms). */
  readTimeoutMs?: number
  /** Round trip to one peer (ms), for `peers` with ping; undefined when it does not answer. */
  ping?: (peer: PeerId, signal: AbortSignal) => Promise<number | undefined>
  /** A peer's repeated warning is logged at most once per this (ms). */
  warnEveryMs?: number
  /** `--private-reads`: list, peers, load and observe need what changes need, or a member asking. */
  privateReads?: boolean
}

export interface ManageHandlerComponents {
  libp2p: Libp2p
  registry: FunctionRegistry
  executor: Executor
  view: MeshView
  invocations: (name: string) => number
  self: () => Omit<NodeSelf, 'functions' | 'totals'>
  /** Calls that entered here, for `observe`. */
  recorder?: CallRecorder
  log: Logger
  /** Requests one peer may send; none: no limit. */
  limiter?: PeerLimiter
  /** A member of the mesh: it learns the member table by gossip anyway. Default: nobody. */
  isMember?: (peer: string) => boolean
}

class ManageError extends Error {
  constructor (readonly code: string, message: string, readonly deployed?: string[]) { super(message) }
}

/**
 * The receiving end of /p2pfaas/manage/1.0.0: what `p2pfaas deploy|rm|ls|peers` ask. Reads are
 * open to any peer of the mesh (membership tells them as much) unless reads are private; changes
 * need a trusted PeerId or the admin secret. A bad request gets BAD_REQUEST, never a crash.
 */
export function createManageHandler (init: ManageHandlerInit, c: ManageHandlerComponents): { start(): Promise<void>, stop(): Promise<void> } {
  const readTimeoutMs = init.readTimeoutMs ?? 10_000
  const log = c.log.child({ component: 'manage' })
  const warn = createRemoteWarn(log, { everyMs: init.warnEveryMs })
  const warnError = createRemoteWarn(log, { everyMs: init.warnEveryMs, level: 'error' })

  const ops: { [Op in ManageRequest['op']]: (req: Extract<ManageRequest, { op: Op }>, from: Connection) => Promise<ManageResults[Op]> } = {
    whoami: async (req, from) => ({ you: from.remotePeer.toString(), admin: authorised(req, from), node: c.libp2p.peerId.toString() }),
    list: async () => ({
      node: c.libp2p.peerId.toString(),
      functions: c.registry.list().map(fn => {
        const { total, ready } = c.registry.instances(fn.spec.name)
        const load = c.executor.loadOf(fn.spec.name)
        return {
          name: fn.spec.name,
          image: fn.spec.image,
          runtime: fn.runtime,
          concurrency: fn.admission.concurrency,
          queue: fn.admission.queue,
          replicas: total,
          availableReplicas: ready,
          invocationCount: c.invocations(fn.spec.name),
          ...(load != null ? { load: { name: fn.spec.name, queued: load.queued, running: load.running, capacity: load.capacity } } : {})
        }
      }),
      peers: c.view.all().map(p => ({ peerId: p.peerId, functions: [...p.functions] }))
    }),
    peers: async (req) => {
      const known = c.view.all().sort((a, b) => a.peerId < b.peerId ? -1 : 1)
      const latencies = req.ping === true && init.ping != null
        ? await Promise.all(known.map(async p => p.connected ? await pingPeer(p.peerId) : undefined))
        : known.map(() => undefined)
      const mine = c.executor.snapshot()
      const now = performance.now()
      return {
        self: { ...c.self(), functions: mine.functions, totals: mine.totals },
        peers: known.map((p, i): PeerView => ({
          peerId: p.peerId,
          addrs: [...p.addrs],
          connected: p.connected,
          link: p.link,
          lastSeenMs: Math.max(0, Math.round(now - p.lastSeen)),
          loadAgeMs: p.loadAt == null ? null : Math.max(0, Math.round(now - p.loadAt)),
          ...(latencies[i] != null ? { latencyMs: latencies[i] } : {}),
          functions: p.load.functions.map(f => ({ ...f })),
          totals: { ...p.load.totals }
        }))
      }
    },
    load: async () => {
      const mine = c.executor.snapshot()
      return { node: c.libp2p.peerId.toString(), functions: mine.functions, totals: mine.totals }
    },
    deploy: async (req) => {
      let specs: FunctionSpec[]
      try {
        specs = req.stack != null ? parseStackYaml(req.stack) : req.functions!.map(parseDeployBody)
      } catch (err) {
        if (err instanceof FunctionSpecError) throw new ManageError('BAD_REQUEST', err.message)
        throw err
      }
      const result = await deployAll(c.registry, specs)
      if (!result.ok) throw new ManageError(result.code, result.message, result.deployed)
      log.info({ functions: result.deployed }, 'deployed over the management protocol')
      return { deployed: result.deployed }
    },
    observe: async (req) => ({
      node: c.libp2p.peerId.toString(),
      neighbours: c.view.all().filter(p => p.link).map(p => p.peerId),
      seconds: c.recorder?.observedSince(req.sinceT) ?? [],
      calls: c.recorder?.callsSince(req.sinceSeq) ?? []
    }),
    remove: async (req) => {
      if (!await c.registry.remove(req.name)) throw new ManageError('FUNCTION_NOT_FOUND', `function ${req.name} is not deployed on this node`)
      log.info({ function: req.name }, 'removed over the management protocol')
      return { removed: req.name }
    }
  }

  const pingPeer = async (peerId: string): Promise<number | undefined> => {
    const connection = c.libp2p.getConnections().find(conn => conn.remotePeer.toString() === peerId)
    if (connection == null) return undefined
    return await init.ping!(connection.remotePeer, AbortSignal.timeout(1000)).catch(() => undefined)
  }

  const authorised = (req: ManageRequest, from: Connection): boolean =>
    init.admins.has(from.remotePeer.toString()) || (req.secret != null && init.checkSecret(req.secret))

  const mayDo = (req: ManageRequest, from: Connection): boolean => {
    if (PRIVILEGED_OPS.has(req.op)) return authorised(req, from)
    if (init.privateReads === true && PRIVATE_READ_OPS.has(req.op)) return c.isMember?.(from.remotePeer.toString()) === true || authorised(req, from)
    return true
  }

  const onStream = async (stream: Stream, connection: Connection): Promise<void> => {
    const lp = lpStream(stream, { maxDataLength: MAX_REQUEST_BYTES })
    const peer = connection.remotePeer.toString()
    let response: ManageResponse
    try {
      // Before the request is read: a flood costs this node the answer, not up to a stack.yml each.
      if (c.limiter?.take(peer) === false) {
        const rate = c.limiter.rate()
        warn(peer, 'throttled manage', { rate }, 'a peer sends more management requests than --peer-manage-rate: refusing them with THROTTLED')
        throw new ManageError('THROTTLED', `node ${c.libp2p.peerId.toString()} takes at most ${rate} management requests/s from one peer (--peer-manage-rate); slow down`)
      }
      let raw: unknown
      try {
        raw = decodeJson((await lp.read({ signal: AbortSignal.timeout(readTimeoutMs) })).subarray())
      } catch (err: any) {
        throw new ManageError('BAD_REQUEST', `unreadable request: ${err.message}`)
      }
      const parsed = ManageRequestSchema.safeParse(raw)
      if (!parsed.success) throw new ManageError('BAD_REQUEST', parsed.error.issues.map(i => `${i.path.join('.') || 'request'}: ${i.message}`).join('; '))
      const req = parsed.data
      if (!mayDo(req, connection)) {
        warn(peer, 'unauthorised', { op: req.op }, 'refused an unauthorised management request')
        throw new ManageError('UNAUTHORIZED', `node ${c.libp2p.peerId.toString()} does not trust ${peer} to ${req.op}${PRIVILEGED_OPS.has(req.op) ? '' : ' (its reads are private: --private-reads)'}: ` +
          'start the node with --admin <that PeerId> (p2pfaas id prints it), or pass --admin-secret-file with the node\'s admin secret')
      }
      const result = await (ops[req.op] as (r: ManageRequest, from: Connection) => Promise<unknown>)(req, connection)
      response = { ok: true, result } as ManageResponse
    } catch (err: any) {
      response = err instanceof ManageError
        ? { ok: false, code: err.code, message: err.message, ...(err.deployed != null ? { deployed: err.deployed } : {}) }
        : { ok: false, code: 'INTERNAL', message: err?.message ?? String(err) }
      if (!(err instanceof ManageError)) warnError(peer, 'internal', { err: err?.message }, 'management request failed')
    }
    try {
      const bytes = encodeJson(response)
      await lp.write(bytes.length <= MAX_RESPONSE_BYTES ? bytes : encodeJson({ ok: false, code: 'INTERNAL', message: 'the answer is too large' }))
      await stream.close()
    } catch (err: any) {
      stream.abort(err instanceof Error ? err : new Error(String(err)))
    }
  }

  return {
    async start () {
      await c.libp2p.handle(MANAGE_PROTOCOL, (stream, connection) => { void onStream(stream, connection) }, { maxInboundStreams: 16 })
    },
    async stop () {
      await c.libp2p.unhandle(MANAGE_PROTOCOL)
    }
  }
}
