import { readFile, stat } from 'node:fs/promises'
import { MAX_STACK_BYTES, parseStackYaml } from '../functions/stack.js'
import { Executor } from '../executor/executor.js'
import { FunctionRegistry } from '../registry/registry.js'
import { readTaskLabels, type TaskLabels } from '../functions/settings.js'
import { createFunctionStore } from '../functions/store.js'
import { adminGuard, createAdminCheck } from '../gateway/auth.js'
import { registerConfigurationRoutes } from '../gateway/configuration.js'
import { registerFunctionRoutes } from '../gateway/functions.js'
import { registerHealthRoutes } from '../gateway/health.js'
import { createInvokeHandler, isInvokeUrl } from '../gateway/invoke.js'
import { registerMeshRoutes } from '../gateway/mesh.js'
import { createMetrics, registerMetricsRoutes, type Metrics } from '../gateway/metrics.js'
import { createGateway, type Gateway } from '../gateway/server.js'
import { loadOrCreateIdentity } from '../mesh/identity.js'
import { createMesh, type Mesh } from '../mesh/mesh.js'
import { readSwarmKey } from '../mesh/swarm-key.js'
import { EmulatedRuntime } from '../runtime/emulated.js'
import { ProcessRuntime } from '../runtime/process.js'
import { createInvokeClient } from '../invoke/client.js'
import { createInvokeHandlers } from '../invoke/handler.js'
import { createPeerLimiter } from '../mesh/peer-limiter.js'
import { createManageHandler } from '../manage/handler.js'
import { createObserveHandler } from '../observe/handler.js'
import { createNodeState } from '../observe/node-state.js'
import { MeshObserver } from '../observe/observer.js'
import { CallRecorder } from '../observe/recorder.js'
import { createPeerAccess } from '../access.js'
import { registerDashboardRoutes } from '../gateway/dashboard.js'
import { InvokeService } from '../invoke/service.js'
import { CallAccounting } from '../invoke/accounting.js'
import { registerMonitoringRoutes } from '../gateway/monitoring.js'
import { registerSchedulerRoutes } from '../gateway/scheduler.js'
import { VERSION } from '../mesh/libp2p.js'
import { seededRng } from '../scheduler/seeded.js'
import { createLearningKeeper } from '../scheduler/learning/keeper.js'
import { createTableStore } from '../scheduler/learning/table-store.js'
import { loadOrCreateAdminSecret } from './admin-secret.js'
import { setUpPolicies } from './policies.js'
import { loadNodeDefaults, saveNodeDefaults } from './node-defaults.js'
import { nextIncarnation } from './incarnation.js'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { NodeConfig } from './config.js'
import type { Logger } from '../log.js'
import type { Runtimes } from '../runtime/types.js'
import type { DockerRuntime } from '../runtime/docker.js'
import type { FunctionSpec } from '../functions/types.js'

export interface P2pfaasNode {
  readonly mesh: Mesh
  readonly invoke: InvokeService
  /** The one subscriber to calls, which the OpenFaaS status, /metrics and the dashboard read. */
  readonly calls: CallAccounting
  readonly gateway: Gateway
  readonly executor: Executor
  readonly registry: FunctionRegistry
  /** The node's Prometheus series: what runs the node (the CLI) may add its own process's series. */
  readonly metrics: Pick<Metrics, 'registry'>
  /** Where the management secret is (user `admin`). */
  readonly adminSecretPath: string
  start(): Promise<void>
  stop(): Promise<void>
}

/**
 * The composition root: config in, every service built, started in order and stopped in reverse.
 * Nothing else in the code base wires services together.
 */
export async function createNode (config: NodeConfig, log: Logger): Promise<P2pfaasNode> {
  const policies = await setUpPolicies(config, log)
  const identity = await loadOrCreateIdentity(config.dataDir)
  log.info({ path: identity.path, created: identity.created }, identity.created ? 'created a new node identity' : 'loaded node identity')
  const swarmKey = config.swarmKeyFile != null ? await readSwarmKey(config.swarmKeyFile) : undefined
  if (swarmKey == null) {
    log.warn('no --swarm-key: the mesh is open, any libp2p node that finds this one may connect (peers are still authenticated by Noise)')
  } else {
    log.info({ file: config.swarmKeyFile }, 'private mesh: only nodes with the same swarm key can connect')
  }
  const admin = await loadOrCreateAdminSecret(config.dataDir, config.adminSecretFile)
  log.info({ path: admin.path, user: 'admin' }, admin.created ? 'generated the management secret' : 'management secret loaded')

  const executor = new Executor()
  const docker = await pickDocker(config, peerIdFromPrivateKey(identity.privateKey).toString(), log)
  const processRuntime = new ProcessRuntime({ log, maxResponseBytes: config.maxBodyBytes })
  const rng = config.seed != null ? seededRng(config.seed) : Math.random
  const emulated = new EmulatedRuntime({ rng })
  const runtimes: Runtimes = { ...(docker != null ? { http: docker } : {}), process: processRuntime, emulated }
  const registry = new FunctionRegistry({
    store: createFunctionStore({ dataDir: config.dataDir }),
    executor,
    runtimes,
    defaults: await loadNodeDefaults(config.dataDir),
    log
  })

  const mesh = await createMesh({
    privateKey: identity.privateKey,
    listen: config.listen,
    announce: config.announce,
    bootstrap: config.bootstrap,
    swarmKey,
    mdns: config.mdns,
    heartbeatMs: config.heartbeatMs,
    links: config.links,
    maxConnections: config.maxConnections,
    maxMembers: config.maxMembers,
    incarnation: await nextIncarnation(config.dataDir),
    loadSource: executor,
    log,
    warnEveryMs: config.warnIntervalMs
  })

  let policy = policies.initial
  log.info({ policy: policy.label }, 'scheduling policy')
  // What a learning policy learnt outlives it: kept in the data dir, across policy changes and restarts.
  const learning = createLearningKeeper({ store: createTableStore({ dataDir: config.dataDir }), log })
  const invoke = new InvokeService({ maxBodyBytes: config.maxBodyBytes }, {
    self: mesh.peerId.toString(),
    client: createInvokeClient({ libp2p: mesh.libp2p }),
    executor,
    view: mesh.view,
    policy: () => policy,
    rng,
    log,
    taskLabels: taskLabelsOf(registry),
    unreachableHolders: fn => mesh.membership.table.unreachable()
      .filter(m => !m.info.leaving && m.info.functions.some(f => f.name === fn))
      .map(m => m.info.peerId)
  })
  // The one listener to calls: the OpenFaaS status, /metrics and the dashboard read its counts.
  const calls = new CallAccounting({ invoke, executor, self: mesh.peerId.toString() })
  const recorder = new CallRecorder({ source: calls })
  // "Self" and the peer list as /mesh, `p2pfaas peers` and the dashboard show them: built here only.
  const nodeState = createNodeState({
    peerId: mesh.peerId.toString(),
    addrs: () => mesh.addrs(),
    version: VERSION,
    policy: () => policy.label,
    digest: () => mesh.membership.table.digest(),
    load: () => executor.snapshot(),
    functions: () => registry.list().map(f => f.spec.name),
    learning: () => learning.stats(),
    view: mesh.view
  })
  const observer = new MeshObserver({ staleAfterMs: 2 * config.heartbeatMs }, { libp2p: mesh.libp2p, state: nodeState, recorder })
  const invokeRate = peerInvokeRate(config, registry, executor)
  const limiters = {
    invoke: createPeerLimiter({ ratePerSecond: invokeRate }),
    probe: createPeerLimiter({ ratePerSecond: invokeRate }),
    manage: createPeerLimiter({ ratePerSecond: config.peerManageRate })
  }
  const throttled = (): Array<{ protocol: string, count: number }> => Object.entries(limiters).map(([protocol, l]) => ({ protocol, count: l.throttled }))
  const metrics = createMetrics({ version: VERSION }, { executor, invoke, calls, functions: registry, mesh, policyFailures: policies.failures, learning, throttled })
  const invokeHandlers = createInvokeHandlers({ maxBodyBytes: config.maxBodyBytes, warnEveryMs: config.warnIntervalMs }, {
    libp2p: mesh.libp2p, service: invoke, executor, log, invokeLimiter: limiters.invoke, probeLimiter: limiters.probe
  })

  let ready = false
  const gateway = createGateway({
    host: config.http.host,
    port: config.http.port,
    log,
    bodyLimit: 1024 * 1024,
    warnEveryMs: config.warnIntervalMs,
    fastPaths: [{
      matches: isInvokeUrl,
      handle: createInvokeHandler({ service: invoke, maxBodyBytes: config.maxBodyBytes, version: VERSION, schedulerLabel: () => policy.label })
    }]
  })
  const adminCheck = createAdminCheck(admin.secret)
  const guard = adminGuard(adminCheck)
  // --private-reads: what reveals the mesh needs the credentials changes need; /healthz stays open.
  const readGuard = config.privateReads ? guard : undefined
  // One rule for who may change and who may read, over every libp2p protocol that serves them.
  const access = createPeerAccess({
    admins: config.admins,
    checkSecret: secret => adminCheck(`Bearer ${secret}`),
    privateReads: config.privateReads,
    isMember: peer => mesh.membership.table.get(peer) != null
  })
  const manage = createManageHandler({
    ping: async (peer, signal) => await mesh.libp2p.services.ping.ping(peer, { signal }),
    warnEveryMs: config.warnIntervalMs
  }, {
    libp2p: mesh.libp2p,
    registry,
    executor,
    state: nodeState,
    invocations: name => calls.invocations(name),
    access,
    log,
    limiter: limiters.manage
  })
  // Observe requests were management requests once: they still count against --peer-manage-rate.
  const observeHandler = createObserveHandler({ warnEveryMs: config.warnIntervalMs }, {
    libp2p: mesh.libp2p, recorder, neighbours: () => nodeState.neighbours(), access, log, limiter: limiters.manage
  })
  if (config.admins.length > 0) log.info({ admins: config.admins }, 'identities trusted for management')
  registerHealthRoutes(gateway.app, { isReady: () => ready })
  registerMeshRoutes(gateway.app, { state: nodeState, readGuard })
  registerFunctionRoutes(gateway.app, { registry, guard, invocations: name => calls.invocations(name) })
  registerMonitoringRoutes(gateway.app, { executor, readGuard })
  registerMetricsRoutes(gateway.app, metrics, readGuard)
  registerDashboardRoutes(gateway.app, { observer, readGuard })
  registerSchedulerRoutes(gateway.app, {
    guard,
    catalog: policies.catalog,
    readGuard,
    current: () => policy,
    // The new policy takes up what was learnt before it decides anything. It starts clean otherwise:
    // peers its predecessor had stopped trying (after their refusals) are tried again, so runs of an
    // experiment that switch policies do not inherit each other's state.
    replace: async next => { await learning.adopt(next); policy = next; invoke.backoff.clear(); log.info({ policy: next.label }, 'scheduling policy changed') },
    learning
  })
  registerConfigurationRoutes(gateway.app, { registry, guard, readGuard, persist: async d => { await saveNodeDefaults(config.dataDir, d) } })

  const started: Array<{ stop: () => Promise<void> }> = []
  return {
    mesh,
    invoke,
    calls,
    gateway,
    executor,
    registry,
    metrics,
    adminSecretPath: admin.path,
    async start () {
      try {
        for (const runtime of Object.values(runtimes)) { await runtime.start(); started.push(runtime) }
        await registry.start(); started.push(registry)
        // The stack's containers warm up while the mesh forms; the node is ready when both are.
        // Peers see its functions only once they are deployed (gossip lists deployed ones).
        const deploying = config.functionsFile != null ? deployStackFile(registry, config.functionsFile, log) : Promise.resolve()
        deploying.catch(() => {})
        await calls.start(); started.push(calls)
        await metrics.start(); started.push(metrics)
        await mesh.start(); started.push(mesh)
        await learning.adopt(policy); started.push(learning)
        await invokeHandlers.start(); started.push(invokeHandlers)
        await manage.start(); started.push(manage)
        await recorder.start(); started.push(recorder)
        await observeHandler.start(); started.push(observeHandler)
        await observer.start(); started.push(observer)
        await deploying
        await gateway.start(); started.push(gateway)
      } catch (err) {
        for (const s of started.splice(0).reverse()) await s.stop().catch(() => {})
        throw err
      }
      ready = true
      log.info({ peerId: mesh.peerId.toString(), http: gateway.url(), mdns: config.mdns !== false, runtime: docker != null ? 'docker' : 'process' }, 'node started')
    },
    async stop () {
      ready = false
      // Stop taking calls first: the HTTP listener closes (a kept-alive connection is answered
      // 503) and the executor refuses new calls with 429, so peers hand them elsewhere. Calls queued
      // or running get the grace to finish; the gateway's close waits for their answers.
      executor.close()
      const gatewayAt = started.indexOf(gateway)
      const gatewayClosed = gatewayAt >= 0 ? started.splice(gatewayAt, 1)[0]!.stop() : Promise.resolve()
      if (!await executor.settled(config.stopGraceMs)) {
        const abandoned = executor.abandonQueued()
        log.warn({ graceMs: config.stopGraceMs, abandoned }, 'calls still in flight after the stop grace: queued ones are answered 429, running ones end with their functions')
      }
      // Stopping the runtimes ends calls still running and removes their containers.
      for (const s of started.splice(0).reverse()) await s.stop()
      await gatewayClosed
      log.info('node stopped')
    }
  }
}

/** A function's task type and deadline labels, read once per deployed spec (a redeploy makes a new one). */
function taskLabelsOf (registry: FunctionRegistry): (fn: string) => TaskLabels | undefined {
  const read = new WeakMap<FunctionSpec, TaskLabels>()
  return fn => {
    const spec = registry.get(fn)?.spec
    if (spec == null) return undefined
    let labels = read.get(spec)
    if (labels == null) {
      labels = readTaskLabels(spec.labels)
      read.set(spec, labels)
    }
    return labels
  }
}

/**
 * `--peer-invoke-rate`: as given, or `auto`, 100 calls/s per slot of the functions deployed here and
 * at least 1000: above what an honest neighbour forwards or a CLI's bench sends, so only a flood
 * meets it. Recomputed when the functions change, not per call: the limiter reads it on every call.
 */
function peerInvokeRate (config: NodeConfig, registry: FunctionRegistry, executor: Executor): number | (() => number) {
  if (config.peerInvokeRate !== 'auto') return config.peerInvokeRate
  const auto = (): number => Math.max(1000, 100 * executor.snapshot().totals.capacity)
  let rate = auto()
  registry.addEventListener('change', () => { rate = auto() })
  return () => rate
}

/** `--functions`: the operator's stack.yml, deployed (or updated) at every start. A bad file stops the node. */
async function deployStackFile (registry: FunctionRegistry, file: string, log: Logger): Promise<void> {
  const size = (await stat(file).catch((err: Error) => { throw new Error(`cannot read --functions ${file}: ${err.message}`) })).size
  if (size > MAX_STACK_BYTES) throw new Error(`--functions ${file} is larger than ${MAX_STACK_BYTES} bytes`)
  const text = await readFile(file, 'utf8')
  let specs
  try {
    specs = parseStackYaml(text)
  } catch (err: any) {
    throw new Error(`--functions ${file}: ${err.message}`)
  }
  for (const spec of specs) await registry.deploy(spec)
  log.info({ file, functions: specs.map(s => s.name) }, 'deployed the functions of the stack file')
}

async function pickDocker (config: NodeConfig, nodeId: string, log: Logger): Promise<DockerRuntime | undefined> {
  if (config.runtime === 'process') return undefined
  // Loaded only here: dockerode brings ssh2 (a WebAssembly module), gRPC and protobufjs, some
  // 20 MiB of memory that a node with `--runtime process` never uses.
  const [{ default: Dockerode }, { DockerRuntime }] = await Promise.all([import('dockerode'), import('../runtime/docker.js')])
  const docker = new Dockerode()
  if (!await DockerRuntime.available(docker)) {
    if (config.runtime === 'docker') throw new Error('--runtime docker: no Docker engine answers (is dockerd running? is DOCKER_HOST right?)')
    log.warn('no Docker engine answers: functions run with the process runtime (classic watchdog, NOT isolated)')
    return undefined
  }
  return new DockerRuntime({
    docker,
    nodeId,
    placement: config.dockerNetwork != null ? { mode: 'network', network: config.dockerNetwork } : { mode: 'host', hostAddress: '127.0.0.1' },
    maxResponseBytes: config.maxBodyBytes,
    defaultLimits: { memoryBytes: config.functionMemoryBytes, cpus: config.functionCpus },
    warnEveryMs: config.warnIntervalMs,
    log
  })
}
