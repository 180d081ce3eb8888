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

/** Logs a warning caused by a remote peer, at most once a minute per (peer, reason), counting the rest. */
export type RemoteWarn = (peer: string, reason: string, fields: Record<string, unknown>, message: string) => void

/**
 * Anything a remote peer can trigger at will (bad records, garbage frames) must not be able to fill
 * the disk: the first warning per peer and reason is logged, then one a minute with the number held
 * back. Bounded: at most `maxKeys` (peer, reason) pairs are remembered.
 */
export function createRemoteWarn (log: Logger, init: { everyMs?: number, maxKeys?: number, now?: () => number } = {}): RemoteWarn {
  const everyMs = init.everyMs ?? 60_000
  const maxKeys = init.maxKeys ?? 1024
  const now = init.now ?? (() => performance.now())
  const seen = new Map<string, { at: number, suppressed: number }>()
  return (peer, reason, fields, message) => {
    const key = `${peer} ${reason}`
    const t = now()
    const last = seen.get(key)
    if (last != null && t - last.at < everyMs) { last.suppressed++; return }
    if (last == null && seen.size >= maxKeys) seen.delete(seen.keys().next().value!)
    seen.set(key, { at: t, suppressed: 0 })
    log.warn({ peer, reason, ...fields, ...(last != null && last.suppressed > 0 ? { suppressed: last.suppressed } : {}) }, message)
  }
}
