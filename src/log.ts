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
