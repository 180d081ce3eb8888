import type { Pool } from 'undici'
import type { FunctionSpec } from '../functions/types.js'
import type Dockerode from 'dockerode'

/** Labels on every container a node starts, so it can find (and reap) its own and only its own. */
export const LABEL_MANAGED = 'p2pfaas.managed'
export const LABEL_NODE = 'p2pfaas.node'
export const LABEL_FUNCTION = 'p2pfaas.function'
export const WATCHDOG_PORT = 8080

export interface ContainerPlacement {
  /** The node runs on the host: publish 8080 on 127.0.0.1 and call it there. */
  mode: 'host'
  hostAddress: string
}

export interface NetworkPlacement {
  /** The node runs in a container itself: put functions on a network it shares, call them by IP. */
  mode: 'network'
  network: string
}

export type Placement = ContainerPlacement | NetworkPlacement

/**
 * One running function container: its id, where its watchdog answers, and a keep-alive
 * connection pool to it. Created hardened: no privileges, every capability dropped,
 * no-new-privileges, memory/cpu/pids limits, nothing mounted, never the Docker socket.
 */
export interface FunctionContainer {
  id: string
  origin: string
  http: Pool
}

/**
 * The limits of a container whose spec sets none of its own (`--function-memory`, `--function-cpus`):
 * without them one leaky function could push a small board into the OOM killer. Undefined: none.
 */
export interface DefaultLimits {
  memoryBytes?: number
  cpus?: number
}

export function containerOptions (spec: FunctionSpec, nodeId: string, placement: Placement, defaults: DefaultLimits = {}): Dockerode.ContainerCreateOptions {
  const env = Object.entries(spec.env).map(([k, v]) => `${k}=${v}`)
  if (spec.envProcess != null) env.push(`fprocess=${spec.envProcess}`)
  const hostConfig: Dockerode.HostConfig = {
    Privileged: false,
    CapDrop: ['ALL'],
    SecurityOpt: ['no-new-privileges'],
    PidsLimit: spec.limits.pids,
    ReadonlyRootfs: spec.readOnlyRootFilesystem,
    // Writable scratch space that dies with the container, also when the root is read-only.
    Tmpfs: { '/tmp': 'rw,noexec,nosuid,size=64m' },
    RestartPolicy: { Name: 'no' },
    Init: true
  }
  // Each limit on its own: a function that sets only its memory still gets the default CPU share.
  const memory = spec.limits.memoryBytes ?? defaults.memoryBytes
  const cpus = spec.limits.cpus ?? defaults.cpus
  if (memory != null) {
    hostConfig.Memory = memory
    // No swap beyond it: a function over its memory is killed, not left to thrash the board's disk.
    hostConfig.MemorySwap = memory
  }
  if (cpus != null) hostConfig.NanoCpus = Math.round(cpus * 1e9)
  if (placement.mode === 'host') {
    hostConfig.PortBindings = { [`${WATCHDOG_PORT}/tcp`]: [{ HostIp: placement.hostAddress, HostPort: '' }] }
  } else {
    hostConfig.NetworkMode = placement.network
  }
  return {
    Image: spec.image,
    Env: env,
    Labels: { [LABEL_MANAGED]: 'true', [LABEL_NODE]: nodeId, [LABEL_FUNCTION]: spec.name },
    ExposedPorts: { [`${WATCHDOG_PORT}/tcp`]: {} },
    HostConfig: hostConfig
  }
}

/** Creates and starts a container and opens its connection pool; the caller waits for health. */
export async function startContainer (docker: Dockerode, spec: FunctionSpec, nodeId: string, placement: Placement, defaults: DefaultLimits = {}): Promise<FunctionContainer> {
  const container = await docker.createContainer(containerOptions(spec, nodeId, placement, defaults))
  try {
    await container.start()
    const info = await container.inspect()
    let origin: string
    if (placement.mode === 'host') {
      const port = info.NetworkSettings.Ports?.[`${WATCHDOG_PORT}/tcp`]?.[0]?.HostPort
      if (port == null) throw new Error('the container has no published watchdog port')
      origin = `http://${placement.hostAddress}:${port}`
    } else {
      const ip = info.NetworkSettings.Networks?.[placement.network]?.IPAddress
      if (ip == null || ip === '') throw new Error(`the container has no address on network ${placement.network}`)
      origin = `http://${ip}:${WATCHDOG_PORT}`
    }
    // One call at a time per container (the executor's slot), kept alive between calls. undici is
    // loaded with the first container: a node that runs no Docker function never pays for it.
    const { Pool } = await import('undici')
    const http = new Pool(origin, { connections: 2, pipelining: 1, keepAliveTimeout: 30_000, connectTimeout: 2_000 })
    return { id: container.id, origin, http }
  } catch (err) {
    await container.remove({ force: true }).catch(() => {})
    throw err
  }
}

/** Polls the watchdog's health endpoint until it answers 200 or the time is up. */
export async function waitHealthy (c: FunctionContainer, timeoutMs: number, isAlive: () => Promise<boolean>): Promise<void> {
  const deadline = performance.now() + timeoutMs
  let delay = 5
  for (;;) {
    try {
      const res = await c.http.request({ method: 'GET', path: '/_/health', headersTimeout: 1000, bodyTimeout: 1000 })
      await res.body.dump()
      if (res.statusCode === 200) return
    } catch {}
    if (performance.now() > deadline) throw new Error(`the container did not become healthy within ${timeoutMs} ms`)
    if (!await isAlive()) throw new Error('the container exited while starting')
    await new Promise(resolve => setTimeout(resolve, delay))
    delay = Math.min(delay * 2, 200)
  }
}

export async function removeContainer (docker: Dockerode, c: Pick<FunctionContainer, 'id'> & Partial<FunctionContainer>): Promise<void> {
  await c.http?.destroy().catch(() => {})
  await docker.getContainer(c.id).remove({ force: true }).catch(() => {})
}
