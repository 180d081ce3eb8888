import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'

/** What the benches read of a process they started: from /proc, and from a node's /metrics text. */

/** Clock ticks per second, the unit of /proc/<pid>/stat's CPU times. */
export const CLOCK_TICKS = ((): number => { try { return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) } catch { return 100 } })()

/** VmRSS and VmHWM (peak RSS) in bytes. */
export function memoryOf (pid: number): { rss: number, hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kib = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024
  return { rss: kib('VmRSS'), hwm: kib('VmHWM') }
}

/** User + system CPU time in clock ticks, every thread (fields 14 and 15, after the command name's closing parenthesis). */
export function ticksOf (pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return Number(fields[11]) + Number(fields[12])
}

/** User + system CPU time in ms. */
export const cpuMsOf = (pid: number): number => ticksOf(pid) * 1000 / CLOCK_TICKS

/** A sample's value in Prometheus text, its labels (if any) ignored; `name` is a regular expression. NaN when absent. */
export function metricValue (text: string, name: string): number {
  return Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1] ?? NaN)
}
