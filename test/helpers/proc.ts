import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import type { HostProcess } from './lan.js'

/** What the fleet helpers and the benches read of processes and of the machine: from /proc, and from a node's /metrics text. */

let clockTicks: number | undefined
export function ticksPerSecond (): number {
  try {
    clockTicks ??= Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100
  } catch {
    clockTicks = 100
  }
  return clockTicks
}

/**
 * The pid of the program a host runs: `ip netns exec` execs it in place today, but if a version
 * of ip forks instead, the program is its only child.
 */
export function programPid (proc: HostProcess): number | undefined {
  const pid = proc.proc.pid
  if (pid == null) return undefined
  try {
    if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== 'ip') return pid
    const child = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/)[0]
    return child != null && child !== '' ? Number(child) : pid
  } catch {
    return undefined
  }
}

/** CPU seconds (user + system) a host's program has used since it started; NaN once it is gone. */
export function cpuSeconds (proc: HostProcess): number {
  return cpuTicks(programPid(proc)) / ticksPerSecond()
}

/** utime + stime of a process, in clock ticks (NaN once it is gone). */
export function cpuTicks (pid: number | undefined): number {
  if (pid == null) return NaN
  try {
    // The command name is in parentheses and may hold spaces: count fields after the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return Number(fields[11]) + Number(fields[12])
  } catch {
    return NaN
  }
}

/** % of one core each process used between two readings of cpuTicks taken `secs` apart. */
export function cpuPercent (before: number[], after: number[], secs: number): number[] {
  const hz = ticksPerSecond()
  return before.map((t, i) => (after[i]! - t) / hz / secs * 100)
}

/**
 * One window of `ms` over several groups of processes, every group read at the same instants (so
 * that whatever else the machine does in it weighs on all alike): % of one core per process, by group.
 */
export async function cpuWindow (groups: Array<Array<number | undefined>>, ms: number): Promise<{ cpu: number[][], secs: number }> {
  const t0 = performance.now()
  const before = groups.map(pids => pids.map(cpuTicks))
  await new Promise(resolve => setTimeout(resolve, ms))
  const after = groups.map(pids => pids.map(cpuTicks))
  const secs = (performance.now() - t0) / 1000
  return { cpu: before.map((b, i) => cpuPercent(b, after[i]!, secs)), secs }
}

/** Busy and total jiffies of the whole machine. */
export function machineTicks (): { busy: number, total: number, cores: number } {
  const lines = readFileSync('/proc/stat', 'utf8').split('\n')
  const cpu = lines[0]!.trim().split(/\s+/).slice(1).map(Number)
  // user nice system idle iowait irq softirq steal (guest time is already inside user).
  const total = cpu.slice(0, 8).reduce((a, b) => a + b, 0)
  const idle = cpu[3]! + (cpu[4] ?? 0)
  return { busy: total - idle, total, cores: lines.filter(l => /^cpu\d+ /.test(l)).length }
}

export interface Calm {
  /** How long it waited for the machine to calm down (ms). */
  waitedMs: number
  /** The machine's busy share of all its cores over the last second, in %. */
  busyPct: number
}

/**
 * Waits until the machine is calm: under `busyBelow` (a share, 0.5 = half) of all its cores busy
 * over a second, `inARow` seconds in a row, or `boundMs` has passed, whatever it is then.
 */
export async function waitForCalm (o: { busyBelow: number, inARow: number, boundMs: number }): Promise<Calm> {
  const t0 = performance.now()
  let calmInARow = 0
  let busy = NaN
  do {
    const a = machineTicks()
    await new Promise(resolve => setTimeout(resolve, 1000))
    const b = machineTicks()
    busy = (b.busy - a.busy) / Math.max(1, b.total - a.total)
    calmInARow = busy < o.busyBelow ? calmInARow + 1 : 0
  } while (calmInARow < o.inARow && performance.now() - t0 < o.boundMs)
  return { waitedMs: Math.round(performance.now() - t0), busyPct: busy * 100 }
}

export function rssMiB (pid: number | undefined): number {
  if (pid == null) return NaN
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024
  } catch {
    return NaN
  }
}

/** A sample's value in Prometheus text, its labels (if any) ignored; `name` is a regular expression. NaN when absent. */
export function metricValue (text: string, name: string): number {
  return Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1] ?? NaN)
}
