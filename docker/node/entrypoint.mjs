// ENTRYPOINT of the node image: `docker run p2pfaas/node [COMMAND] [ARGS...]`, COMMAND defaulting
// to `node` (so is bare flags; any other p2pfaas command, e.g. `swarm-key`, runs unchanged). Before `p2pfaas node`
// starts it does what a container needs and the CLI cannot know, all from the environment:
//
//   swarm key   P2PFAAS_SWARM_KEY (a file) wins; else P2PFAAS_SWARM_KEY_DATA, the key itself (the
//               64 hex digits, or the whole three-line file, "\n" escapes allowed: a balena fleet
//               variable), written to a private temporary file; else the file mounted at
//               /run/secrets/p2pfaas-swarm-key if it is not empty (the compose files mount
//               $P2PFAAS_SWARM_KEY_FILE there, /dev/null when unset).
//   network     without P2PFAAS_DOCKER_NETWORK, a node in a bridge network of the engine it
//               drives puts function containers on its own network (else they would be published
//               on the host's loopback, which a container cannot reach). With host networking
//               nothing changes: functions are published on 127.0.0.1 as on a bare host.
//   images      with P2PFAAS_ADOPT_IMAGES=1 (the balena fleet), each newest image labelled
//               p2pfaas.function=NAME is tagged p2pfaas/fn-NAME:latest, the name stack.yml uses:
//               balena names release images after its registry, not after the compose file.
//
// Then the CLI runs in this same process (PID 1), so SIGTERM reaches the node, which removes its
// function containers before it exits.
import { readFileSync, statSync, mkdtempSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const MAIN = '/app/dist/src/bin/main.js'
const SECRET_FILE = '/run/secrets/p2pfaas-swarm-key'
const env = process.env

function log (level, msg, extra = {}) {
  const levels = { info: 30, warn: 40, error: 50 }
  process.stderr.write(JSON.stringify({ level: levels[level], time: Date.now(), component: 'entrypoint', ...extra, msg }) + '\n')
}

const truthy = (v) => v != null && /^(1|true|yes|on)$/i.test(v.trim())

/** The swarm key from the environment, as a file path for P2PFAAS_SWARM_KEY, or undefined. */
function swarmKeyFile () {
  if (env.P2PFAAS_SWARM_KEY) return env.P2PFAAS_SWARM_KEY
  const data = (env.P2PFAAS_SWARM_KEY_DATA ?? '').trim()
  if (data !== '') {
    const text = data.replace(/\\n/g, '\n').replace(/\r/g, '')
    const hex = /^[0-9a-fA-F]{64}$/.test(text) ? text : /^\/key\/swarm\/psk\/1\.0\.0\/\n\/base16\/\n([0-9a-fA-F]{64})\s*$/.exec(text)?.[1]
    if (hex == null) {
      log('error', 'P2PFAAS_SWARM_KEY_DATA is not a swarm key: give the 64 hex digits (the last line of `p2pfaas swarm-key`) or the whole file')
      process.exit(2)
    }
    const file = join(mkdtempSync(join(tmpdir(), 'p2pfaas-')), 'swarm.key')
    writeFileSync(file, `/key/swarm/psk/1.0.0/\n/base16/\n${hex.toLowerCase()}\n`, { mode: 0o600 })
    return file
  }
  let st
  try { st = statSync(SECRET_FILE) } catch { return undefined }
  if (st.isDirectory()) {
    // compose makes a named volume of a source that is not a path: `swarm.key` instead of `./swarm.key`.
    log('error', `${SECRET_FILE} is a directory, not a key file: P2PFAAS_SWARM_KEY_FILE must name an existing file, as a path (./swarm.key or /etc/p2pfaas/swarm.key)`)
    process.exit(2)
  }
  return st.isFile() && st.size > 0 ? SECRET_FILE : undefined
}

/** A tiny Docker Engine API client (DOCKER_HOST unix:// or tcp://, default /var/run/docker.sock). */
function dockerApi (method, path, timeoutMs = 3000) {
  const host = env.DOCKER_HOST ?? 'unix:///var/run/docker.sock'
  const target = host.startsWith('unix://')
    ? { socketPath: host.slice('unix://'.length) }
    : (() => { const u = new URL(host.replace(/^tcp:/, 'http:')); return { host: u.hostname, port: u.port || 2375 } })()
  return new Promise((resolve, reject) => {
    const req = request({ ...target, method, path, timeout: timeoutMs, headers: { host: 'docker' } }, (res) => {
      const chunks = []
      res.on('data', (c) => chunks.push(c))
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        if ((res.statusCode ?? 500) >= 300) return reject(new Error(`${method} ${path}: ${res.statusCode} ${text.trim()}`))
        try { resolve(text === '' ? undefined : JSON.parse(text)) } catch { resolve(text) }
      })
      res.on('error', reject)
    })
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within ${timeoutMs} ms`)))
    req.on('error', reject)
    req.end()
  })
}

/** This container's id, from the engine's bind mounts (hostname, hosts, resolv.conf). */
function ownContainerId () {
  try {
    const m = /\/containers\/([0-9a-f]{64})\//.exec(readFileSync('/proc/self/mountinfo', 'utf8'))
    if (m != null) return m[1]
  } catch {}
  return env.HOSTNAME
}

async function detectNetwork () {
  const id = ownContainerId()
  if (id == null) return undefined
  const self = await dockerApi('GET', `/containers/${encodeURIComponent(id)}/json`)
  const mode = self?.HostConfig?.NetworkMode ?? ''
  if (mode === 'host' || mode === 'none' || mode.startsWith('container:')) return undefined
  const names = Object.keys(self?.NetworkSettings?.Networks ?? {})
  if (names.includes(mode)) return mode
  return names.sort()[0]
}

async function adoptImages () {
  const filters = encodeURIComponent(JSON.stringify({ label: ['p2pfaas.function'] }))
  const images = await dockerApi('GET', `/images/json?filters=${filters}`)
  const newest = new Map()
  for (const img of images ?? []) {
    const name = img.Labels?.['p2pfaas.function'] ?? ''
    if (!/^[a-z0-9][a-z0-9_.-]{0,62}$/.test(name)) continue
    const best = newest.get(name)
    if (best == null || img.Created > best.Created) newest.set(name, img)
  }
  for (const [name, img] of newest) {
    const repo = `p2pfaas/fn-${name}`
    if ((img.RepoTags ?? []).includes(`${repo}:latest`)) continue
    await dockerApi('POST', `/images/${encodeURIComponent(img.Id)}/tag?repo=${encodeURIComponent(repo)}&tag=latest`)
    log('info', 'tagged a function image for stack.yml', { image: img.Id.slice(7, 19), tag: `${repo}:latest` })
  }
}

const args = process.argv.slice(2)
// `docker run p2pfaas/node --policy random` means the node command with that flag.
if (args.length === 0 || (args[0].startsWith('-') && !['-h', '--help', '-V', '--version'].includes(args[0]))) args.unshift('node')

if (args[0] === 'node') {
  const key = swarmKeyFile()
  if (key != null) env.P2PFAAS_SWARM_KEY = key
  // No engine to drive (no DOCKER_HOST, no socket mounted): the node falls back to the process
  // runtime by itself, and says so.
  const engine = env.DOCKER_HOST != null || (() => { try { return statSync('/var/run/docker.sock').isSocket() } catch { return false } })()
  const dockerWanted = engine && (env.P2PFAAS_RUNTIME ?? 'auto') !== 'process'
  if (dockerWanted && !env.P2PFAAS_DOCKER_NETWORK) {
    try {
      const network = await detectNetwork()
      if (network != null) {
        env.P2PFAAS_DOCKER_NETWORK = network
        log('info', 'function containers go on this container\'s network', { network })
      }
    } catch (err) {
      log('warn', 'could not find this container\'s Docker network (set P2PFAAS_DOCKER_NETWORK)', { err: err.message })
    }
  }
  if (dockerWanted && truthy(env.P2PFAAS_ADOPT_IMAGES)) {
    try {
      await adoptImages()
    } catch (err) {
      log('warn', 'could not tag the function images', { err: err.message })
    }
  }
}

process.argv = [process.argv[0], MAIN, ...args]
await import(MAIN)
