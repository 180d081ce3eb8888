import type { FunctionRuntimeKind, FunctionSpec } from '../functions/types.js'

/** One call as a runtime sees it: already admitted by the executor, holding a slot. */
export interface RuntimeRequest {
  method: string
  /** Path below the function, starting with '/': '/' for `/function/echo`, '/a/b' for `/function/echo/a/b`. */
  path: string
  /** Raw query string without '?', '' when none. */
  query: string
  /** Lower-case names. Hop-by-hop headers are already removed. */
  headers: Record<string, string>
  body: Uint8Array
  /** Aborts at the call's deadline, or when the caller goes away. */
  signal: AbortSignal
}

/** The function's own answer, passed back unchanged (status, headers and body). */
export interface RuntimeResponse {
  status: number
  headers: Record<string, string>
  body: Uint8Array
}

/** Stable codes for what can go wrong below the executor; the gateway maps them to HTTP statuses. */
export type RuntimeErrorCode =
  | 'RUNTIME_UNAVAILABLE' // the engine is gone or not ready: 503, try later or elsewhere
  | 'FUNCTION_CRASHED' // the instance died while serving the call: 502
  | 'TIMEOUT' // the deadline passed: 504
  | 'FUNCTION_NOT_FOUND' // not deployed here: 404
  | 'DEPLOY_FAILED' // image missing, bad command...: 400 at deploy
  | 'RESPONSE_TOO_LARGE' // the function answered more than the node accepts: 502

export class RuntimeError extends Error {
  constructor (readonly code: RuntimeErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'RuntimeError'
  }
}

/**
 * Runs function instances. The executor owns admission (slots, queue, deadlines); a runtime owns
 * instances (containers or processes) and never holds more than `concurrency` busy at once
 * because the executor never asks for more.
 */
export interface Runtime {
  /**
   * What runs the instances, for people: 'docker', 'process', 'emulated' (`p2pfaas ls` shows it).
   * Not the kind of function it runs: that is its key in a Runtimes map.
   */
  readonly name: string
  start(): Promise<void>
  /** Stops every instance it started. */
  stop(): Promise<void>
  /** Prepares a function (pulls nothing: images must exist locally; warms `minWarm` instances). Idempotent: a changed spec replaces the old instances. */
  deploy(spec: FunctionSpec): Promise<void>
  remove(name: string): Promise<void>
  invoke(name: string, req: RuntimeRequest): Promise<RuntimeResponse>
  /** Instances per function, for /system/functions (OpenFaaS `replicas` / `availableReplicas`). */
  instances(name: string): { total: number, ready: number }
}

/**
 * The runtimes a node has, by the kind of function each runs (`p2pfaas.runtime`). A kind may be
 * missing: a node without a Docker engine has no 'http' runtime.
 */
export type Runtimes = Partial<Record<FunctionRuntimeKind, Runtime>>
