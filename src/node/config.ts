import { homedir } from 'node:os'
import { join } from 'node:path'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { peerIdFromString } from '@libp2p/peer-id'
import { z } from 'zod'
import { DEFAULT_LINKS, DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_MEMBERS } from '../mesh/defaults.js'
import { parseCpu, parseMemory, type Parsed } from '../functions/quantities.js'
import { isTruthy, MAX_BODY_BYTES } from '../rules.js'

const isPeerId = (s: string): boolean => { try { peerIdFromString(s); return true } catch { return false } }

/** The node's settings after flags, env and defaults are merged and checked. Trusted inside. */
export interface NodeConfig {
  listen: string[]
  http: { host: string, port: number }
  dataDir: string
  bootstrap: Multiaddr[]
  /** mDNS query interval (ms), or false when mDNS is off. */
  mdns: number | false
  swarmKeyFile?: string
  announce: string[]
  heartbeatMs: number
  /** Overlay links a node aims for. */
  links: number
  /** Connections to other members, links and hand-offs together. */
  maxConnections: number
  /** Members a node's table holds at most. */
  maxMembers: number
  logLevel: string
  /** auto: Docker when an engine answers, else the process runtime. */
  runtime: 'auto' | 'docker' | 'process'
  /** Docker network shared with function containers, when the node itself runs in a container. */
  dockerNetwork?: string
  adminSecretFile?: string
  /** PeerIds trusted to deploy and remove over the management protocol (a CLI's `p2pfaas id`). */
  admins: string[]
  /** Largest request or response body (bytes). */
  maxBodyBytes: number
  /** Scheduling policy, `name[:k=v,...]`. */
  policy: string
  /** JS modules whose default export is a policy plugin, loaded at start (paths as given: relative to the cwd). */
  policyModules: string[]
  /** Seed for the scheduler's random choices, for repeatable experiments; random when absent. */
  seed?: number
  /** A faas-cli stack.yml whose functions are deployed at start. */
  functionsFile?: string
  /** Memory limit (bytes) of a function container whose spec sets none; undefined: no limit. */
  functionMemoryBytes?: number
  /** CPU limit of a function container whose spec sets none; undefined: no limit. */
  functionCpus?: number
  /** Invoke and probe streams one peer may open per second ('auto': from the node's slots); 0: no limit. */
  peerInvokeRate: number | 'auto'
  /** Management requests one peer may send per second; 0: no limit. */
  peerManageRate: number
  /** Reads that reveal the mesh need the same credentials as changes. */
  privateReads: boolean
  /** A remote peer's repeated warning is logged at most once per this (ms). */
  warnIntervalMs: number
  /** On SIGTERM/SIGINT: how long queued and running calls get to finish before the node gives up on them (ms). */
  stopGraceMs: number
}

/** Raw option values as commander hands them over: anything may be missing. */
export interface NodeFlags {
  listen?: string[]
  http?: string
  dataDir?: string
  bootstrap?: string[]
  mdns?: boolean
  mdnsInterval?: string
  swarmKey?: string
  announce?: string[]
  heartbeat?: string
  links?: string
  maxConnections?: string
  maxMembers?: string
  logLevel?: string
  runtime?: string
  dockerNetwork?: string
  adminSecretFile?: string
  admin?: string[]
  maxBody?: string
  policy?: string
  policyModule?: string[]
  seed?: string
  functions?: string
  functionMemory?: string
  functionCpus?: string
  peerInvokeRate?: string
  peerManageRate?: string
  privateReads?: boolean
  warnInterval?: string
  stopGrace?: string
}

export const DEFAULT_LISTEN = '/ip4/0.0.0.0/tcp/4001'
export const DEFAULT_HTTP = '0.0.0.0:18080'
export const DEFAULT_MDNS_INTERVAL_MS = 5000
export const DEFAULT_MAX_BODY_BYTES = MAX_BODY_BYTES
/** A stopping node's queued calls get this long to finish: longer than most calls, short enough for a service manager's stop timeout (systemd's is 90 s). */
export const DEFAULT_STOP_GRACE_MS = 10_000
export const DEFAULT_POLICY_SPEC = 'least-loaded'
/** What a function without limits of its own may use: a 1 GiB board runs a few such at once. */
export const DEFAULT_FUNCTION_MEMORY = '256Mi'
export const DEFAULT_FUNCTION_CPUS = '1'
export const DEFAULT_PEER_MANAGE_RATE = 20
export const DEFAULT_WARN_INTERVAL_MS = 60_000
export { DEFAULT_LINKS, DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_MEMBERS }

export function defaultDataDir (env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_DATA_HOME ?? join(env.HOME ?? homedir(), '.local', 'share'), 'p2pfaas')
}

/** Env names, documented in the README: each flag as P2PFAAS_<NAME>, lists comma-separated. */
export const ENV = {
  listen: 'P2PFAAS_LISTEN',
  http: 'P2PFAAS_HTTP',
  dataDir: 'P2PFAAS_DATA_DIR',
  bootstrap: 'P2PFAAS_BOOTSTRAP',
  noMdns: 'P2PFAAS_NO_MDNS',
  mdnsInterval: 'P2PFAAS_MDNS_INTERVAL',
  swarmKey: 'P2PFAAS_SWARM_KEY',
  announce: 'P2PFAAS_ANNOUNCE',
  heartbeat: 'P2PFAAS_HEARTBEAT',
  links: 'P2PFAAS_LINKS',
  maxConnections: 'P2PFAAS_MAX_CONNECTIONS',
  maxMembers: 'P2PFAAS_MAX_MEMBERS',
  logLevel: 'P2PFAAS_LOG_LEVEL',
  runtime: 'P2PFAAS_RUNTIME',
  dockerNetwork: 'P2PFAAS_DOCKER_NETWORK',
  adminSecretFile: 'P2PFAAS_ADMIN_SECRET_FILE',
  admin: 'P2PFAAS_ADMIN',
  maxBody: 'P2PFAAS_MAX_BODY',
  policy: 'P2PFAAS_POLICY',
  policyModule: 'P2PFAAS_POLICY_MODULE',
  seed: 'P2PFAAS_SEED',
  functions: 'P2PFAAS_FUNCTIONS',
  functionMemory: 'P2PFAAS_FUNCTION_MEMORY',
  functionCpus: 'P2PFAAS_FUNCTION_CPUS',
  peerInvokeRate: 'P2PFAAS_PEER_INVOKE_RATE',
  peerManageRate: 'P2PFAAS_PEER_MANAGE_RATE',
  privateReads: 'P2PFAAS_PRIVATE_READS',
  warnInterval: 'P2PFAAS_WARN_INTERVAL',
  stopGrace: 'P2PFAAS_STOP_GRACE'
} as const

const tcpMultiaddr = (flag: string) => z.string().max(512).transform((s, ctx) => {
  try {
    const ma = multiaddr(s)
    if (!ma.getComponents().some(c => c.name === 'tcp')) throw new Error('no /tcp/ port')
    return ma
  } catch (err: any) {
    ctx.addIssue({ code: 'custom', message: `${flag}: "${s}" is not a TCP multiaddr (${err.message}); e.g. /ip4/192.168.1.10/tcp/4001` })
    return z.NEVER
  }
})

const hostPort = z.string().max(300).transform((s, ctx) => {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(s)
  const port = m == null ? NaN : Number(m[3])
  if (m == null || port > 65535) {
    ctx.addIssue({ code: 'custom', message: `--http: "${s}" is not host:port; e.g. 0.0.0.0:18080 or 127.0.0.1:0` })
    return z.NEVER
  }
  return { host: m[1] ?? (m[2] === '' ? '0.0.0.0' : m[2]!), port }
})

const ms = (flag: string, min: number, max: number) => z.string().regex(/^\d+$/, `${flag} takes a whole number of milliseconds`)
  .transform(Number).pipe(z.number().int().min(min, `${flag} must be at least ${min} ms`).max(max, `${flag} must be at most ${max} ms`))

const count = (flag: string, min: number, max: number) => z.string().regex(/^\d+$/, `${flag} takes a whole number`)
  .transform(Number).pipe(z.number().int().min(min, `${flag} must be at least ${min}`).max(max, `${flag} must be at most ${max}`))

/** A quantity as function specs write it ("256Mi", "500m"), or 0 for none. */
const limit = (flag: string, parse: (s: string) => Parsed<number>, example: string) => z.string().max(64).transform((s, ctx) => {
  if (/^0+(\.0*)?$/.test(s.trim())) return undefined
  const r = parse(s)
  if (r.ok) return r.value
  ctx.addIssue({ code: 'custom', message: `${flag} ${r.message}, or 0 for no limit; e.g. ${example}` })
  return z.NEVER
})

const perSecond = (flag: string) => z.string().trim()
  .regex(/^\d{1,7}(\.\d+)?$/, `${flag} takes a number per second, 0 for no limit`).transform(Number)
const perSecondOrAuto = (flag: string) => z.string().trim()
  .regex(/^(auto|\d{1,7}(\.\d+)?)$/, `${flag} takes a number per second or auto, 0 for no limit`)
  .transform(s => s === 'auto' ? 'auto' as const : Number(s))

const schema = z.object({
  listen: z.array(tcpMultiaddr('--listen')).min(1).max(16),
  http: hostPort,
  dataDir: z.string().min(1).max(4096),
  bootstrap: z.array(tcpMultiaddr('--bootstrap')).max(64),
  mdns: z.boolean(),
  mdnsInterval: ms('--mdns-interval', 100, 3_600_000),
  swarmKey: z.string().min(1).max(4096).optional(),
  announce: z.array(tcpMultiaddr('--announce')).max(16),
  heartbeat: ms('--heartbeat', 50, 60_000),
  links: count('--links', 1, 32),
  maxConnections: count('--max-connections', 2, 1024),
  maxMembers: count('--max-members', 2, 4096),
  runtime: z.enum(['auto', 'docker', 'process'], { message: '--runtime: one of auto, docker, process' }),
  dockerNetwork: z.string().regex(/^[\w][\w.-]{0,127}$/, '--docker-network: a Docker network name').optional(),
  adminSecretFile: z.string().min(1).max(4096).optional(),
  admin: z.array(z.string().max(128).superRefine((s, ctx) => {
    if (!isPeerId(s)) ctx.addIssue({ code: 'custom', message: `--admin: "${s}" is not a PeerId (\`p2pfaas id\` prints the CLI's)` })
  })).max(256),
  maxBody: z.string().regex(/^\d+$/, '--max-body takes a number of bytes').transform(Number)
    .pipe(z.number().int().min(1024, '--max-body must be at least 1024 bytes').max(256 * 1024 * 1024, '--max-body must be at most 256 MiB')),
  policy: z.string().min(1).max(256),
  policyModule: z.array(z.string().min(1, '--policy-module: a path to a .js file').max(4096)).max(32, '--policy-module: at most 32 modules'),
  functions: z.string().min(1).max(4096).optional(),
  seed: z.string().regex(/^\d{1,10}$/, '--seed takes a whole number').transform(Number).optional(),
  functionMemory: limit('--function-memory', parseMemory, '256Mi, 512MiB, 1Gi'),
  functionCpus: limit('--function-cpus', parseCpu, '1, 0.5, 500m'),
  peerInvokeRate: perSecondOrAuto('--peer-invoke-rate'),
  peerManageRate: perSecond('--peer-manage-rate'),
  privateReads: z.boolean(),
  warnInterval: ms('--warn-interval', 100, 3_600_000),
  stopGrace: ms('--stop-grace', 0, 600_000),
  logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'], { message: '--log-level: one of trace, debug, info, warn, error, fatal, silent' })
})

export class ConfigError extends Error {
  override name = 'ConfigError'
}

const list = (v: string | undefined): string[] | undefined =>
  v == null || v.trim() === '' ? undefined : v.split(',').map(s => s.trim()).filter(s => s !== '')

/** Flags win over env, env over defaults. Throws ConfigError with every problem listed. */
export function resolveNodeConfig (flags: NodeFlags, env: NodeJS.ProcessEnv = process.env): NodeConfig {
  const nonEmpty = (a: string[] | undefined): string[] | undefined => a != null && a.length > 0 ? a : undefined
  const raw = {
    listen: nonEmpty(flags.listen) ?? list(env[ENV.listen]) ?? [DEFAULT_LISTEN],
    http: flags.http ?? env[ENV.http] ?? DEFAULT_HTTP,
    dataDir: flags.dataDir ?? env[ENV.dataDir] ?? defaultDataDir(env),
    bootstrap: nonEmpty(flags.bootstrap) ?? list(env[ENV.bootstrap]) ?? [],
    mdns: flags.mdns === false ? false : !isTruthy(env[ENV.noMdns]),
    mdnsInterval: flags.mdnsInterval ?? env[ENV.mdnsInterval] ?? String(DEFAULT_MDNS_INTERVAL_MS),
    swarmKey: flags.swarmKey ?? (env[ENV.swarmKey] === '' ? undefined : env[ENV.swarmKey]),
    announce: nonEmpty(flags.announce) ?? list(env[ENV.announce]) ?? [],
    heartbeat: flags.heartbeat ?? env[ENV.heartbeat] ?? '1000',
    links: flags.links ?? env[ENV.links] ?? String(DEFAULT_LINKS),
    maxConnections: flags.maxConnections ?? env[ENV.maxConnections] ?? String(DEFAULT_MAX_CONNECTIONS),
    maxMembers: flags.maxMembers ?? env[ENV.maxMembers] ?? String(DEFAULT_MAX_MEMBERS),
    logLevel: flags.logLevel ?? env[ENV.logLevel] ?? 'info',
    runtime: flags.runtime ?? env[ENV.runtime] ?? 'auto',
    dockerNetwork: flags.dockerNetwork ?? (env[ENV.dockerNetwork] === '' ? undefined : env[ENV.dockerNetwork]),
    adminSecretFile: flags.adminSecretFile ?? (env[ENV.adminSecretFile] === '' ? undefined : env[ENV.adminSecretFile]),
    admin: nonEmpty(flags.admin) ?? list(env[ENV.admin]) ?? [],
    maxBody: flags.maxBody ?? env[ENV.maxBody] ?? String(DEFAULT_MAX_BODY_BYTES),
    policy: flags.policy ?? env[ENV.policy] ?? DEFAULT_POLICY_SPEC,
    policyModule: nonEmpty(flags.policyModule) ?? list(env[ENV.policyModule]) ?? [],
    seed: flags.seed ?? (env[ENV.seed] === '' ? undefined : env[ENV.seed]),
    functions: flags.functions ?? (env[ENV.functions] === '' ? undefined : env[ENV.functions]),
    functionMemory: flags.functionMemory ?? env[ENV.functionMemory] ?? DEFAULT_FUNCTION_MEMORY,
    functionCpus: flags.functionCpus ?? env[ENV.functionCpus] ?? DEFAULT_FUNCTION_CPUS,
    peerInvokeRate: flags.peerInvokeRate ?? env[ENV.peerInvokeRate] ?? 'auto',
    peerManageRate: flags.peerManageRate ?? env[ENV.peerManageRate] ?? String(DEFAULT_PEER_MANAGE_RATE),
    privateReads: flags.privateReads === true || isTruthy(env[ENV.privateReads]),
    warnInterval: flags.warnInterval ?? env[ENV.warnInterval] ?? String(DEFAULT_WARN_INTERVAL_MS),
    stopGrace: flags.stopGrace ?? env[ENV.stopGrace] ?? String(DEFAULT_STOP_GRACE_MS)
  }
  const parsed = schema.refine(c => c.maxConnections > c.links, { message: '--max-connections must be above --links: hand-offs need room beside the links' }).safeParse(raw)
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map(i => i.message).join('\n'))
  }
  const c = parsed.data
  return {
    listen: c.listen.map(String),
    http: c.http,
    dataDir: c.dataDir,
    bootstrap: c.bootstrap,
    mdns: c.mdns ? c.mdnsInterval : false,
    swarmKeyFile: c.swarmKey,
    announce: c.announce.map(String),
    heartbeatMs: c.heartbeat,
    links: c.links,
    maxConnections: c.maxConnections,
    maxMembers: c.maxMembers,
    logLevel: c.logLevel,
    runtime: c.runtime,
    dockerNetwork: c.dockerNetwork,
    adminSecretFile: c.adminSecretFile,
    admins: c.admin,
    maxBodyBytes: c.maxBody,
    policy: c.policy,
    policyModules: c.policyModule,
    seed: c.seed,
    functionsFile: c.functions,
    functionMemoryBytes: c.functionMemory,
    functionCpus: c.functionCpus,
    peerInvokeRate: c.peerInvokeRate,
    peerManageRate: c.peerManageRate,
    privateReads: c.privateReads,
    warnIntervalMs: c.warnInterval,
    stopGraceMs: c.stopGrace
  }
}
