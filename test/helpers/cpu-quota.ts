import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/**
 * Holds processes to a share of one core with the kernel's CPU controller (CFS bandwidth): a
 * starved node, as a single-board computer whose functions take all its CPU, or a node on an
 * overloaded host. The process runs at full speed for its quota, then waits for the next period,
 * which is what starvation does to timers and to answers on the wire.
 *
 * Works on cgroup v1 (a `cpu` hierarchy, as on these machines) and cgroup v2 (`cpu.max`). The
 * group is made under the hierarchy's root, so the test process itself is never limited.
 */

const PERIOD_US = 100_000
/** The kernel's smallest quota (1 ms): a smaller share needs a longer period, up to 1 s. */
const MIN_QUOTA_US = 1000
const MAX_PERIOD_US = 1_000_000

/** Quota and period for `share` of a core: a 100 ms period, longer for shares under 1 %. */
function budget (share: number): { quota: number, period: number } {
  const period = Math.min(MAX_PERIOD_US, Math.max(PERIOD_US, Math.ceil(MIN_QUOTA_US / share)))
  return { quota: Math.max(MIN_QUOTA_US, Math.round(share * period)), period }
}

export interface CpuQuota {
  /** Moves the process into the group (all its threads). */
  add(pid: number): void
  /**
   * Limits the group to `share` of one core (0.005 = 0.5 %): its quota of each 100 ms period, or of
   * a longer one (1 ms of each 200 ms for 0.5 %) below 1 %, the kernel's smallest quota being 1 ms.
   * `null` lifts the limit.
   */
  limit(share: number | null): void
  /** Moves every process back to the root group and removes the group; safe to call twice. */
  destroy(): void
}

interface Layout {
  dir: string
  root: string
  write(share: number | null): void
}

/** cgroup v1: period and quota in two files; the quota must fit the period at every step. */
function writeV1 (dir: string, share: number | null): void {
  writeFileSync(join(dir, 'cpu.cfs_quota_us'), '-1')
  if (share == null) return
  const { quota, period } = budget(share)
  writeFileSync(join(dir, 'cpu.cfs_period_us'), String(period))
  writeFileSync(join(dir, 'cpu.cfs_quota_us'), String(quota))
}

/** cgroup v2: both in `cpu.max`. */
function writeV2 (dir: string, share: number | null): void {
  if (share == null) { writeFileSync(join(dir, 'cpu.max'), `max ${PERIOD_US}`); return }
  const { quota, period } = budget(share)
  writeFileSync(join(dir, 'cpu.max'), `${quota} ${period}`)
}

/** Where to make the group; throws saying why when this machine has no CPU controller we can use. */
function layoutFor (name: string): Layout {
  const v1Root = '/sys/fs/cgroup/cpu'
  if (existsSync(join(v1Root, 'cpu.cfs_quota_us'))) {
    const dir = join(v1Root, name)
    return { dir, root: v1Root, write: share => { writeV1(dir, share) } }
  }
  const v2Root = '/sys/fs/cgroup'
  const controllers = existsSync(join(v2Root, 'cgroup.controllers')) ? readFileSync(join(v2Root, 'cgroup.controllers'), 'utf8') : ''
  if (controllers.split(/\s+/).includes('cpu')) {
    writeFileSync(join(v2Root, 'cgroup.subtree_control'), '+cpu')
    const dir = join(v2Root, name)
    return { dir, root: v2Root, write: share => { writeV2(dir, share) } }
  }
  throw new Error('no CPU controller: neither /sys/fs/cgroup/cpu/cpu.cfs_quota_us (cgroup v1) nor "cpu" in /sys/fs/cgroup/cgroup.controllers (v2); a starved node cannot be made here')
}

export function createCpuQuota (name: string): CpuQuota {
  const layout = layoutFor(`${name}-${process.pid}`)
  mkdirSync(layout.dir, { recursive: true })
  let destroyed = false
  return {
    add (pid) { writeFileSync(join(layout.dir, 'cgroup.procs'), String(pid)) },
    limit (share) { layout.write(share) },
    destroy () {
      if (destroyed || !existsSync(layout.dir)) return
      destroyed = true
      const procs = readFileSync(join(layout.dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)
      for (const pid of procs) {
        try { writeFileSync(join(layout.root, 'cgroup.procs'), pid) } catch {} // it exited meanwhile
      }
      rmdirSync(layout.dir)
    }
  }
}
