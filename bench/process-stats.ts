import { readFileSync } from 'node:fs'
import { cpuTicks, metricValue, ticksPerSecond } from '../test/helpers/proc.js'

/** What the benches read of a process they started, beyond test/helpers/proc.ts: peak memory, and CPU of a pid that must be there. */

export { metricValue }

/** Clock ticks per second, the unit of /proc/<pid>/stat's CPU times. */
export const CLOCK_TICKS = ticksPerSecond()

/** VmRSS and VmHWM (peak RSS) in bytes. */
export function memoryOf (pid: number): { rss: number, hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kib = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024
  return { rss: kib('VmRSS'), hwm: kib('VmHWM') }
}

/** User + system CPU time in clock ticks, every thread; throws once the process is gone. */
export function ticksOf (pid: number): number {
  const ticks = cpuTicks(pid)
  if (Number.isNaN(ticks)) throw new Error(`process ${pid} is gone`)
  return ticks
}

/** User + system CPU time in ms. */
export const cpuMsOf = (pid: number): number => ticksOf(pid) * 1000 / CLOCK_TICKS
