import { execFileSync, execSync, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { closeSync, existsSync, openSync, readFileSync, rmSync } from 'node:fs'

/**
 * A second Docker engine, beside the machine's own (the recipe in the shared environment notes):
 * its own bridge, data root, exec root, pid file and socket, named with a per-run id, so the main
 * engine at /var/run/docker.sock, which other tests use, is never touched. stop() and start() are
 * the fault (an engine restart); destroy() removes every trace and also runs, synchronously, when
 * the process exits or is interrupted.
 */
export interface EngineB {
  /** For DOCKER_HOST and `docker -H`. */
  host: string
  /** Copies an image from the main engine (no registry here). */
  load(image: string): void
  /** Container ids on this engine, stopped ones included. */
  containers(): string[]
  running(): boolean
  stop(): Promise<void>
  start(): Promise<void>
  destroy(): void
}

const live = new Set<() => void>()
process.once('exit', () => { for (const cleanup of live) cleanup() })
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => { for (const cleanup of live) cleanup(); live.clear(); process.kill(process.pid, signal) })
}

const sleepSync = (ms: number): void => { Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms) }
const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

/** Running: an exited dockerd that is our child stays a zombie until our event loop reaps it. */
function alive (pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
  } catch {
    return false
  }
}

export async function startEngineB (): Promise<EngineB> {
  if (process.getuid?.() !== 0) throw new Error('a second Docker engine needs root')
  const id = randomBytes(2).toString('hex')
  const bridge = `pfdk${id}`
  const dataRoot = `/var/lib/docker-b-${id}`
  const execRoot = `/run/docker-b-${id}`
  const pidFile = `/run/docker-b-${id}.pid`
  const socket = `/run/docker-b-${id}.sock`
  const logFile = `/run/docker-b-${id}.log`
  const host = `unix://${socket}`
  const docker = (...args: string[]): string => execFileSync('docker', ['-H', host, ...args], { stdio: ['ignore', 'pipe', 'pipe'] }).toString()

  const pid = (): number | undefined => {
    try { return Number(readFileSync(pidFile, 'utf8').trim()) || undefined } catch { return undefined }
  }
  const answers = (): boolean => { try { docker('version', '--format', '{{.Server.Version}}'); return true } catch { return false } }

  /** Stops the engine by its pid file: SIGTERM, then SIGKILL after 20 s. Synchronous for exit handlers. */
  const stopSync = (): void => {
    const p = pid()
    if (p == null || !alive(p)) return
    process.kill(p, 'SIGTERM')
    const deadline = Date.now() + 20_000
    while (alive(p) && Date.now() < deadline) sleepSync(50)
    if (alive(p)) process.kill(p, 'SIGKILL')
    while (alive(p)) sleepSync(50)
  }

  let destroyed = false
  const destroy = (): void => {
    if (destroyed) return
    destroyed = true
    live.delete(destroy)
    try { stopSync() } catch {}
    // A dockerd killed hard may leave its containers' mounts: unmount before removing the roots.
    try { execSync(`grep -o ' ${dataRoot}[^ ]*' /proc/mounts | sort -r | xargs -r -n1 umount -l`, { stdio: 'ignore' }) } catch {}
    try { execFileSync('ip', ['link', 'del', bridge], { stdio: 'ignore' }) } catch {}
    for (const path of [dataRoot, execRoot, pidFile, socket, logFile]) rmSync(path, { recursive: true, force: true })
  }
  live.add(destroy)

  const start = async (): Promise<void> => {
    // Its own bridge first: a dockerd without one deletes docker0 and breaks the main engine.
    if (!existsSync(`/sys/class/net/${bridge}`)) {
      execFileSync('ip', ['link', 'add', bridge, 'type', 'bridge'])
      execFileSync('ip', ['addr', 'add', '172.29.0.1/16', 'dev', bridge])
      execFileSync('ip', ['link', 'set', bridge, 'up'])
    }
    const log = openSync(logFile, 'a')
    const child = spawn('dockerd', ['-b', bridge, '--iptables=false', '--ip-masq=false', '--data-root', dataRoot, '--exec-root', execRoot,
      '--pidfile', pidFile, '-H', host, '--shutdown-timeout', '2'], { stdio: ['ignore', log, log], detached: true })
    closeSync(log)
    child.unref()
    const logTail = (): string => { try { return readFileSync(logFile, 'utf8').split('\n').filter(l => /level=(error|fatal)/.test(l)).slice(-5).join('\n') } catch { return '' } }
    const deadline = performance.now() + 60_000
    while (!answers()) {
      if (performance.now() > deadline) throw new Error(`engine B (${host}) did not answer within 60 s\n${logTail()}`)
      if (child.exitCode != null) throw new Error(`engine B exited with ${child.exitCode} while starting\n${logTail()}`)
      await sleep(200)
    }
  }

  try {
    await start()
  } catch (err) {
    destroy()
    throw err
  }
  return {
    host,
    load (image) { execSync(`docker save ${image} | docker -H ${host} load`, { stdio: ['ignore', 'ignore', 'pipe'] }) },
    containers () { return docker('ps', '-aq').split('\n').filter(l => l.trim() !== '') },
    running () { const p = pid(); return p != null && alive(p) },
    async stop () {
      // Asynchronous, so calls keep going while the engine shuts down.
      const p = pid()
      if (p == null || !alive(p)) return
      process.kill(p, 'SIGTERM')
      const deadline = performance.now() + 20_000
      while (alive(p) && performance.now() < deadline) await sleep(50)
      stopSync()
    },
    start,
    destroy
  }
}
