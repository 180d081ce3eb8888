import { createRequire } from 'node:module'
import { pino, type Logger } from 'pino'
import type pinoPretty from 'pino-pretty'

export type { Logger }

export interface LoggerInit {
  level?: string
  /** Human-readable lines; defaults to true when stderr is a terminal. */
  pretty?: boolean
  name?: string
}

/**
 * One structured line per event on stderr (stdout stays free for command output). JSON when piped,
 * so log collectors get fields; pretty when a person is watching.
 */
export function createLogger (init: LoggerInit = {}): Logger {
  const level = init.level ?? 'info'
  const wantPretty = init.pretty ?? process.stderr.isTTY === true
  const destination = wantPretty
    ? prettyStream()({ destination: 2, sync: true, colorize: true, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' })
    : pino.destination({ dest: 2, sync: true })
  return pino({ level, name: init.name, base: undefined }, destination)
}

/**
 * pino-pretty and its dependencies, loaded only when a person is watching: a node whose stderr goes
 * to a file or a collector never needs them. Synchronous (require) because loggers are made
 * synchronously; pino-pretty is a CommonJS package.
 */
function prettyStream (): typeof pinoPretty {
  return createRequire(import.meta.url)('pino-pretty')
}

/** Logs a warning at most once per interval per key, counting the lines held back. */
export type KeyedWarn = (key: string, fields: Record<string, unknown>, message: string) => void

export interface KeyedWarnInit {
  /** Default 60 s. */
  everyMs?: number
  /** Keys remembered at most (the oldest is forgotten first). Default 1024. */
  maxKeys?: number
  /** Default warn; error for what is the node's own fault even when a peer set it off. */
  level?: 'warn' | 'error'
  now?: () => number
}

/**
 * Anything that can fire on every call or every frame (a remote peer's garbage, a broken plugin)
 * must not be able to fill the disk: the first warning per key is logged, then at most one per
 * `everyMs` with the number held back since the last. Bounded: at most `maxKeys` keys are remembered.
 */
export function createKeyedWarn (log: Logger, init: KeyedWarnInit = {}): KeyedWarn {
  const everyMs = init.everyMs ?? 60_000
  const maxKeys = init.maxKeys ?? 1024
  const now = init.now ?? (() => performance.now())
  const level = init.level ?? 'warn'
  const seen = new Map<string, { at: number, suppressed: number }>()
  return (key, fields, message) => {
    const t = now()
    const last = seen.get(key)
    if (last != null && t - last.at < everyMs) { last.suppressed++; return }
    if (last == null && seen.size >= maxKeys) seen.delete(seen.keys().next().value!)
    seen.set(key, { at: t, suppressed: 0 })
    log[level]({ ...fields, ...(last != null && last.suppressed > 0 ? { suppressed: last.suppressed } : {}) }, message)
  }
}

/** Logs a warning caused by a remote peer, at most once a minute per (peer, reason), counting the rest. */
export type RemoteWarn = (peer: string, reason: string, fields: Record<string, unknown>, message: string) => void

/** A KeyedWarn keyed by (peer, reason): what a remote peer can trigger at will. */
export function createRemoteWarn (log: Logger, init: KeyedWarnInit = {}): RemoteWarn {
  const warn = createKeyedWarn(log, init)
  return (peer, reason, fields, message) => { warn(`${peer} ${reason}`, { peer, reason, ...fields }, message) }
}
