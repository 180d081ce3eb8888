import { pino, type Logger } from 'pino'
import pretty from 'pino-pretty'

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
    ? pretty({ destination: 2, sync: true, colorize: true, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' })
    : pino.destination({ dest: 2, sync: true })
  return pino({ level, name: init.name, base: undefined }, destination)
}
