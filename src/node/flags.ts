/**
 * Every flag of `p2pfaas node`, declared once. From this table come the command's options and its
 * --help (src/cli/node-command.ts), the P2PFAAS_* env names and the check of every value
 * (resolveNodeConfig in ./config.ts), the types of the raw flags and of the node's configuration,
 * and the README's flag table (./flags-doc.ts, `npm run gen:flags-doc`). A new flag is one entry.
 */
import { homedir } from 'node:os'
import { join } from 'node:path'
import * as z from 'zod'
import { DEFAULT_HEARTBEAT_MS, DEFAULT_LINKS, DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_MEMBERS } from '../mesh/defaults.js'
import { MAX_BODY_BYTES } from '../rules.js'
import { parseCpu, parseMemory } from '../functions/quantities.js'
import { count, filePath, hostPort, limit, ms, peerId, perSecond, perSecondOrAuto, tcpMultiaddr } from './flag-schemas.js'

export type Env = NodeJS.ProcessEnv

interface FlagCommon {
  /** commander's flags string: the long name, and the argument if it takes one. */
  readonly flag: `--${string}`
  /** `P2PFAAS_` and the long name, upper-case (a test holds every entry to it). */
  readonly env: `P2PFAAS_${string}`
  /** --help's text; the default and the env name are appended to it. */
  readonly help: string
  /** What --help shows as the default, when not the default value itself. */
  readonly helpDefault?: string
  /** The README's "meaning" cell (markdown). */
  readonly doc: string
  /** The README's "default" cell (markdown), when not the default value itself. */
  readonly docDefault?: string
  /** The field's name in NodeConfig, when not the flag's. */
  readonly config?: string
}

/**
 * One flag. Its kind says how it takes its value, and so how its option, its env value and its
 * README cells read:
 * - `value`: `--x <v>`, `P2PFAAS_X=v`;
 * - `list`: `--x <v>` repeatable, `P2PFAAS_X=a,b`;
 * - `switch`: `--x` turns it on, so does `P2PFAAS_X=1`;
 * - `negated`: `--no-x` turns it off, so does `P2PFAAS_NO_X=1`.
 */
export type FlagSpec = FlagCommon & (
  | {
    readonly kind: 'value'
    readonly schema: z.ZodType<unknown, string | undefined>
    /** Absent: the flag is optional, and an empty env value means unset. */
    readonly default?: string | ((env: Env) => string)
  }
  | { readonly kind: 'list', readonly schema: z.ZodType<unknown, string[]>, readonly default: readonly string[] }
  | { readonly kind: 'switch' | 'negated', readonly schema: z.ZodType<boolean, boolean> }
)

export const DEFAULT_LISTEN = '/ip4/0.0.0.0/tcp/4001'
export const DEFAULT_MAX_BODY_BYTES = MAX_BODY_BYTES

export function defaultDataDir (env: Env = process.env): string {
  return join(env.XDG_DATA_HOME ?? join(env.HOME ?? homedir(), '.local', 'share'), 'p2pfaas')
}

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const

/** In the order of --help and of the README. Keys are commander's names for the options. */
export const NODE_FLAGS = {
  listen: {
    kind: 'list',
    flag: '--listen <multiaddr>',
    env: 'P2PFAAS_LISTEN',
    schema: z.array(tcpMultiaddr('--listen')).min(1).max(16).transform(addrs => addrs.map(String)),
    default: [DEFAULT_LISTEN],
    help: 'libp2p listen address',
    doc: 'libp2p listen address'
  },
  http: {
    kind: 'value',
    flag: '--http <host:port>',
    env: 'P2PFAAS_HTTP',
    schema: hostPort('--http'),
    default: '0.0.0.0:18080',
    help: 'HTTP API and dashboard address',
    doc: "HTTP API (the original's port)"
  },
  dataDir: {
    kind: 'value',
    flag: '--data-dir <dir>',
    env: 'P2PFAAS_DATA_DIR',
    schema: filePath(),
    default: defaultDataDir,
    help: 'identity key and state',
    helpDefault: '~/.local/share/p2pfaas',
    doc: 'identity key (kept, so a restarted node keeps its PeerId) and state',
    docDefault: '`~/.local/share/p2pfaas`'
  },
  bootstrap: {
    kind: 'list',
    flag: '--bootstrap <multiaddr>',
    env: 'P2PFAAS_BOOTSTRAP',
    schema: z.array(tcpMultiaddr('--bootstrap')).max(64),
    default: [],
    help: 'a node to join the mesh through (one is enough)',
    doc: 'peers to stay connected to, with or without `/p2p/<id>`'
  },
  mdns: {
    kind: 'negated',
    flag: '--no-mdns',
    env: 'P2PFAAS_NO_MDNS',
    schema: z.boolean(),
    help: 'do not discover peers with mDNS',
    doc: 'do not discover peers with mDNS',
    docDefault: 'mDNS on'
  },
  mdnsInterval: {
    kind: 'value',
    flag: '--mdns-interval <ms>',
    env: 'P2PFAAS_MDNS_INTERVAL',
    schema: ms('--mdns-interval', 100, 3_600_000),
    default: '5000',
    help: 'longest wait between mDNS queries while the node has no mesh',
    doc: 'how often to ask the LAN who is there'
  },
  swarmKey: {
    kind: 'value',
    flag: '--swarm-key <file>',
    env: 'P2PFAAS_SWARM_KEY',
    schema: filePath().optional(),
    help: 'private network key; without it the mesh is open',
    doc: 'private network key (`p2pfaas swarm-key` makes one)',
    docDefault: 'none (open mesh)',
    config: 'swarmKeyFile'
  },
  announce: {
    kind: 'list',
    flag: '--announce <multiaddr>',
    env: 'P2PFAAS_ANNOUNCE',
    schema: z.array(tcpMultiaddr('--announce')).max(16).transform(addrs => addrs.map(String)),
    default: [],
    help: 'address to announce instead of the listen ones',
    doc: 'addresses to announce, for NAT and containers',
    docDefault: 'listen addresses'
  },
  heartbeat: {
    kind: 'value',
    flag: '--heartbeat <ms>',
    env: 'P2PFAAS_HEARTBEAT',
    schema: ms('--heartbeat', 50, 60_000),
    default: String(DEFAULT_HEARTBEAT_MS),
    help: "the overlay's clock: a pulse to the ring successor every 1 (a ping on every link every 2 until the ring is complete); a member silent for 3 to 4 is dead",
    doc: "the overlay's clock: a pulse to the ring successor every 1 (a ping on every link every 2 until the ring is complete); a member silent for 3 to 4 is dead",
    config: 'heartbeatMs'
  },
  links: {
    kind: 'value',
    flag: '--links <n>',
    env: 'P2PFAAS_LINKS',
    schema: count('--links', 1, 32),
    default: String(DEFAULT_LINKS),
    help: 'overlay links (neighbours with fresh load) to aim at; a node opens half of them itself',
    doc: 'overlay links to aim at: the neighbours whose load is always fresh (a node opens half of them itself, the rest are opened to it)'
  },
  maxConnections: {
    kind: 'value',
    flag: '--max-connections <n>',
    env: 'P2PFAAS_MAX_CONNECTIONS',
    schema: count('--max-connections', 2, 1024),
    default: String(DEFAULT_MAX_CONNECTIONS),
    help: 'connections to other nodes, links and hand-offs',
    doc: 'connections to other nodes (links and hand-offs); idle ones close'
  },
  maxMembers: {
    kind: 'value',
    flag: '--max-members <n>',
    env: 'P2PFAAS_MAX_MEMBERS',
    schema: count('--max-members', 2, 4096),
    default: String(DEFAULT_MAX_MEMBERS),
    help: 'members of the mesh a node keeps track of at most',
    doc: 'members a node keeps track of at most (give a fleet one value)'
  },
  runtime: {
    kind: 'value',
    flag: '--runtime <kind>',
    env: 'P2PFAAS_RUNTIME',
    schema: z.enum(['auto', 'docker', 'process'], { message: '--runtime: one of auto, docker, process' }),
    default: 'auto',
    help: 'auto|docker|process: where functions run',
    helpDefault: 'auto: Docker if an engine answers',
    doc: '`docker`, `process`, or `auto` (Docker when an engine answers)'
  },
  dockerNetwork: {
    kind: 'value',
    flag: '--docker-network <name>',
    env: 'P2PFAAS_DOCKER_NETWORK',
    schema: z.string().regex(/^[\w][\w.-]{0,127}$/, '--docker-network: a Docker network name').optional(),
    help: 'run function containers on this Docker network (when the node itself is in a container)',
    doc: 'run function containers on this network and call them there (when the node itself is in a container)'
  },
  adminSecretFile: {
    kind: 'value',
    flag: '--admin-secret-file <file>',
    env: 'P2PFAAS_ADMIN_SECRET_FILE',
    schema: filePath().optional(),
    help: 'management password file',
    helpDefault: 'generated in the data dir',
    doc: 'the management password',
    docDefault: '`<data-dir>/admin-secret`'
  },
  admin: {
    kind: 'list',
    flag: '--admin <peerId>',
    env: 'P2PFAAS_ADMIN',
    schema: z.array(peerId('--admin')).max(256),
    default: [],
    help: "trust this identity to deploy and remove (a CLI's `p2pfaas id`)",
    doc: "identities trusted to deploy and remove over libp2p (a CLI's `p2pfaas id`)",
    config: 'admins'
  },
  maxBody: {
    kind: 'value',
    flag: '--max-body <bytes>',
    env: 'P2PFAAS_MAX_BODY',
    schema: z.string().regex(/^\d+$/, '--max-body takes a number of bytes').transform(Number)
      .pipe(z.number().int().min(1024, '--max-body must be at least 1024 bytes').max(256 * 1024 * 1024, '--max-body must be at most 256 MiB')),
    default: String(DEFAULT_MAX_BODY_BYTES),
    help: 'largest request or response body',
    doc: 'largest request or response body of a call',
    config: 'maxBodyBytes'
  },
  policy: {
    kind: 'value',
    flag: '--policy <spec>',
    env: 'P2PFAAS_POLICY',
    schema: z.string().min(1).max(256),
    default: 'least-loaded',
    help: 'scheduling policy name[:k=v,...]: local, random, round-robin, power-of-d, threshold, least-loaded, round-robin-master, learning',
    doc: 'scheduling policy, `name[:k=v,...]` (see above)'
  },
  policyModule: {
    kind: 'list',
    flag: '--policy-module <file.js>',
    env: 'P2PFAAS_POLICY_MODULE',
    schema: z.array(z.string().min(1, '--policy-module: a path to a .js file').max(4096)).max(32, '--policy-module: at most 32 modules'),
    default: [],
    help: 'load a scheduling policy plugin (a JS module, docs/writing-a-policy.md); then --policy <its name>',
    doc: 'load a scheduling policy plugin, then choose it with `--policy` ([`docs/writing-a-policy.md`](docs/writing-a-policy.md))',
    // Paths as given: relative to the cwd.
    config: 'policyModules'
  },
  seed: {
    kind: 'value',
    flag: '--seed <n>',
    env: 'P2PFAAS_SEED',
    schema: z.string().regex(/^\d{1,10}$/, '--seed takes a whole number').transform(Number).optional(),
    help: "seed the scheduler's random choices, for repeatable experiments",
    doc: "seed for the scheduler's (and emulated functions') random choices",
    docDefault: 'random'
  },
  functions: {
    kind: 'value',
    flag: '--functions <stack.yml>',
    env: 'P2PFAAS_FUNCTIONS',
    schema: filePath().optional(),
    help: 'deploy the functions of this faas-cli stack file at start',
    doc: 'deploy the functions of this faas-cli stack file at every start',
    config: 'functionsFile'
  },
  functionMemory: {
    kind: 'value',
    flag: '--function-memory <size>',
    env: 'P2PFAAS_FUNCTION_MEMORY',
    schema: limit('--function-memory', parseMemory, '256Mi, 512MiB, 1Gi'),
    // What a function without limits of its own may use: a 1 GiB board runs a few such at once.
    default: '256Mi',
    help: 'memory limit of a function container whose spec sets none (256Mi, 512MiB, 1Gi; 0: none)',
    doc: 'memory limit of a function container whose spec sets no `limits.memory` (`256Mi`, `512MiB`, `1Gi`); `0`: no limit (see [Safe defaults](#safe-defaults))',
    config: 'functionMemoryBytes'
  },
  functionCpus: {
    kind: 'value',
    flag: '--function-cpus <cpus>',
    env: 'P2PFAAS_FUNCTION_CPUS',
    schema: limit('--function-cpus', parseCpu, '1, 0.5, 500m'),
    default: '1',
    help: 'CPU limit of a function container whose spec sets none (1, 0.5, 500m; 0: none)',
    doc: 'CPU limit of a function container whose spec sets no `limits.cpu` (`1`, `0.5`, `500m`); `0`: no limit'
  },
  peerInvokeRate: {
    kind: 'value',
    flag: '--peer-invoke-rate <n>',
    env: 'P2PFAAS_PEER_INVOKE_RATE',
    schema: perSecondOrAuto('--peer-invoke-rate'),
    default: 'auto',
    help: 'calls (and load probes) one peer may hand this node per second, bursts of 2 s; 0: no limit',
    helpDefault: 'auto: 100 per slot, at least 1000',
    doc: 'calls and load probes one peer may hand this node per second (bursts of 2 s); beyond it `THROTTLED`. `auto`: 100 per slot of the functions deployed here, at least 1000; `0`: no limit'
  },
  peerManageRate: {
    kind: 'value',
    flag: '--peer-manage-rate <n>',
    env: 'P2PFAAS_PEER_MANAGE_RATE',
    schema: perSecond('--peer-manage-rate'),
    default: '20',
    help: 'management requests one peer may send per second, bursts of 2 s; 0: no limit',
    doc: 'management requests one peer may send per second (bursts of 2 s); beyond it `THROTTLED`; `0`: no limit'
  },
  privateReads: {
    kind: 'switch',
    flag: '--private-reads',
    env: 'P2PFAAS_PRIVATE_READS',
    schema: z.boolean(),
    help: 'reads that reveal the mesh (/mesh, dashboard, metrics, ls, peers...) need the admin credentials too',
    doc: 'reads that reveal the mesh need the admin credentials too (see [Safe defaults](#safe-defaults))',
    docDefault: 'off'
  },
  warnInterval: {
    kind: 'value',
    flag: '--warn-interval <ms>',
    env: 'P2PFAAS_WARN_INTERVAL',
    schema: ms('--warn-interval', 100, 3_600_000),
    default: '60000',
    help: "log a remote peer's repeated warning at most once per interval, with the count held back",
    doc: 'a warning a remote peer can cause is logged at most once per interval per peer and reason, with a `suppressed` count of the lines held back',
    config: 'warnIntervalMs'
  },
  stopGrace: {
    kind: 'value',
    flag: '--stop-grace <ms>',
    env: 'P2PFAAS_STOP_GRACE',
    schema: ms('--stop-grace', 0, 600_000),
    // Longer than most calls, short enough for a service manager's stop timeout (systemd's is 90 s).
    default: '10000',
    help: 'on SIGTERM, how long queued and running calls get to finish; new calls are refused meanwhile',
    doc: 'on SIGTERM or SIGINT: the node stops taking calls (new connections refused, peers\' hand-offs answered 429 so they go elsewhere), then gives queued and running calls this long to finish; queued calls still waiting then are answered 429, and the node stops its functions and exits',
    config: 'stopGraceMs'
  },
  logLevel: {
    kind: 'value',
    flag: '--log-level <level>',
    env: 'P2PFAAS_LOG_LEVEL',
    schema: z.enum(LOG_LEVELS, { message: `--log-level: one of ${LOG_LEVELS.join(', ')}` }),
    default: 'info',
    help: 'trace|debug|info|warn|error',
    doc: 'logs: one JSON line per event on stderr, human-readable on a terminal'
  }
} as const satisfies Record<string, FlagSpec>

export type NodeFlagTable = typeof NODE_FLAGS
export type NodeFlagKey = keyof NodeFlagTable

/** The table's keys in its order, typed. */
export const NODE_FLAG_KEYS = Object.keys(NODE_FLAGS) as NodeFlagKey[]

/** The table as specs, for code that treats every flag alike. */
export const nodeFlagSpecs = (): Array<[NodeFlagKey, FlagSpec]> => NODE_FLAG_KEYS.map(k => [k, NODE_FLAGS[k]])

/** The default as text, when it is a plain value (not computed, not absent). */
export function defaultText (spec: FlagSpec): string | undefined {
  if (spec.kind === 'value' && typeof spec.default === 'string') return spec.default
  if (spec.kind === 'list' && spec.default.length > 0) return spec.default.join(',')
  return undefined
}

type Shape = { -readonly [K in NodeFlagKey]: NodeFlagTable[K]['schema'] }

/** Every flag's check, from the table. */
export const nodeFlagsSchema = z.object(Object.fromEntries(NODE_FLAG_KEYS.map(k => [k, NODE_FLAGS[k].schema])) as Shape)

type RawOf<S> = S extends { kind: 'list' } ? string[] : S extends { kind: 'switch' | 'negated' } ? boolean : string
/** The flags' values as commander hands them over (text, lists of text, switches); anything may be missing. */
export type NodeFlags = { [K in NodeFlagKey]?: RawOf<NodeFlagTable[K]> }
/** Every flag's value, checked. */
export type CheckedFlags = z.output<typeof nodeFlagsSchema>
