/**
 * A function as this node knows it, after parsing and validation (OpenFaaS deploy body, stack.yml,
 * or the CLI). Everything inside the node trusts this shape; only src/functions/ builds it.
 */
export interface FunctionSpec {
  /** DNS-label-like: [a-z0-9]([a-z0-9-]{0,61}[a-z0-9])? */
  name: string
  /** Container image (Docker runtime). Required unless runtime is 'process'. */
  image?: string
  /** The classic-watchdog command (OpenFaaS `envProcess`, `fprocess`): what the process runtime runs. */
  envProcess?: string
  /** Environment for the function (OpenFaaS `envVars` / stack.yml `environment`). */
  env: Record<string, string>
  /**
   * As given, `p2pfaas.*` labels included: whether one was set at all tells an explicit setting from
   * a default (node-wide defaults apply only to functions that set none). The typed fields below
   * hold the parsed values, with the built-in defaults filled in.
   */
  labels: Record<string, string>
  annotations: Record<string, string>
  limits: FunctionLimits
  /** Calls running at once on this node (slots). OpenFaaS label `p2pfaas.concurrency`. Default 4. */
  concurrency: number
  /** Calls waiting for a slot; 0 makes a pure loss system. Label `p2pfaas.queue`. Default 4. */
  queue: number
  /** Deadline of one call on this node, queueing included (ms). Label `p2pfaas.timeout` ("30s", "500ms", "2m"). Default 30 s. */
  timeoutMs: number
  /** Containers kept started while idle. Label `p2pfaas.min-warm`. Default 1, at most `concurrency`. */
  minWarm: number
  /** How the function runs: 'http' (a container whose watchdog listens on :8080, the default) or 'process' (classic watchdog command on this host). Label `p2pfaas.runtime`. */
  runtime: FunctionRuntimeKind
  readOnlyRootFilesystem: boolean
}

/**
 * The kinds of function, one name each, used everywhere inside (labels, specs, the registry's
 * runtimes by kind): 'http' is a container whose watchdog answers HTTP on :8080, which the Docker
 * runtime runs; 'emulated' holds a slot for a drawn service time with no container: many-node
 * experiments on one machine.
 */
export type FunctionRuntimeKind = 'http' | 'process' | 'emulated'

export interface FunctionLimits {
  /** Bytes. OpenFaaS `limits.memory` ("128Mi", "1G", ...). */
  memoryBytes?: number
  /** CPUs, fractional. OpenFaaS `limits.cpu` ("0.5", "500m", "1"). */
  cpus?: number
  /** Process count limit inside the container. Default 256. */
  pids: number
}

export const FUNCTION_DEFAULTS = {
  concurrency: 4,
  queue: 4,
  timeoutMs: 30_000,
  minWarm: 1,
  pids: 256,
  runtime: 'http' as FunctionRuntimeKind
}

/** Where the P2PFaaS settings travel in OpenFaaS bodies and stack.yml, the way OpenFaaS extends itself. */
export const LABELS = {
  concurrency: 'p2pfaas.concurrency',
  queue: 'p2pfaas.queue',
  minWarm: 'p2pfaas.min-warm',
  timeout: 'p2pfaas.timeout',
  runtime: 'p2pfaas.runtime',
  /** Emulated runtime only: `exp:100ms` (default, exponential with that mean), `fixed:50ms`, or a bare duration (exponential mean). */
  serviceTime: 'p2pfaas.service-time',
  /** The task type of the function's calls, 0 to 63, for a policy that tells types apart (learning); a call's header overrides it. */
  taskType: 'p2pfaas.task-type',
  /** Time within which a call's answer is wanted ("500ms", "2s"); a learning policy is rewarded for meeting it. Not enforced: `p2pfaas.timeout` is. */
  deadline: 'p2pfaas.deadline',
  /**
   * Deadlines per task type, in order from type 0 (`150ms,2s`): one function whose calls carry
   * several task types (the type header) with a deadline each. A type past the list takes
   * `p2pfaas.deadline`, if set.
   */
  taskDeadlines: 'p2pfaas.task-deadlines',
  /**
   * Emulated runtime only: how fast this node runs the function, relative to 1 (a service time is
   * divided by it), so one machine can emulate a fleet of unequal boards.
   */
  speed: 'p2pfaas.speed'
} as const
