import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CLI } from '../helpers/cli.js'
import { createLan, type Host, type HostProcess, type Lan } from '../helpers/lan.js'
import { waitFor } from '../helpers/mesh.js'
import { CLI_CONFIG_HOME, p2pfaas } from '../helpers/run-cli.js'

/**
 * The CLI on a laptop of the LAN: no --peer, it finds a node by mDNS (inside network namespaces,
 * never the machine's own network), then deploys everywhere and calls a function.
 */

let lan: Lan
let dir: string
let laptop: Host
let cliId: string
const nodes: HostProcess[] = []

/** Runs the CLI on the laptop host and waits for it to finish. */
async function onLaptop (args: string[], swarmKey?: string): Promise<{ code: number | null, stdout: string, stderr: string }> {
  const proc = laptop.spawn(process.execPath, [CLI, ...args], { XDG_CONFIG_HOME: CLI_CONFIG_HOME, P2PFAAS_NO_MDNS: '', P2PFAAS_PEER: '', P2PFAAS_SWARM_KEY: swarmKey ?? '' })
  proc.proc.stdin!.end()
  let stdout = ''
  let stderr = ''
  proc.proc.stdout!.on('data', (d: Buffer) => { stdout += d.toString() })
  proc.proc.stderr!.on('data', (d: Buffer) => { stderr += d.toString() })
  const timer = setTimeout(() => { void proc.kill('SIGKILL') }, 20_000)
  const code = await proc.exited
  clearTimeout(timer)
  return { code, stdout, stderr }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'p2pfaas-lan-cli-'))
  const id = await p2pfaas(['id'])
  cliId = id.stdout.toString().trim()
  const key = await p2pfaas(['swarm-key'])
  await writeFile(join(dir, 'swarm.key'), key.stdout)
  lan = createLan(3)
  const [h1, h2, h3] = lan.hosts as [Host, Host, Host]
  laptop = h3
  for (const h of [h1, h2]) {
    nodes.push(h.spawn(process.execPath, [CLI, 'node', '--runtime', 'process', '--mdns-interval', '1000', '--swarm-key', join(dir, 'swarm.key'),
      '--admin', cliId, '--data-dir', join(dir, h.name), '--log-level', 'warn']))
  }
  // Both views, not one: the CLI may find either node by mDNS, and `peers` asks the one it found.
  await waitFor('both nodes up and meshed', async () => (await Promise.all([h1, h2].map(async h => await lan.mesh(h))))
    .every(v => v?.peers.some(p => p.link) === true), 20_000, 100)
})

afterAll(async () => {
  await lan?.destroy()
  if (dir != null) await rm(dir, { recursive: true, force: true })
})

describe('the CLI finds the mesh by mDNS', () => {
  it('peers, deploy --all and invoke work with no --peer', async () => {
    const peers = await onLaptop(['peers', '--json'], join(dir, 'swarm.key'))
    expect(peers.code, peers.stderr + peers.stdout).toBe(0)
    const view = JSON.parse(peers.stdout)
    expect(view.peers).toHaveLength(1)
    expect(view.self.addrs.some((a: string) => a.includes('10.77.'))).toBe(true)

    const deploy = await onLaptop(['deploy', 'emu', '--label', 'p2pfaas.runtime=emulated', '--label', 'p2pfaas.service-time=fixed:5ms', '--all'], join(dir, 'swarm.key'))
    expect(deploy.code, deploy.stderr).toBe(0)
    expect(deploy.stdout.match(/deployed emu on /g)).toHaveLength(2)

    const call = await onLaptop(['invoke', 'emu', '-v'], join(dir, 'swarm.key'))
    expect(call.code, call.stderr).toBe(0)
    expect(JSON.parse(call.stdout)).toMatchObject({ emulatedMs: expect.any(Number) })
  }, 60_000)

  it('without the swarm key it finds nobody it can talk to, and says what to do', async () => {
    const r = await onLaptop(['peers', '--discover', '2500'])
    expect(r.code, r.stderr + r.stdout).toBe(5)
    expect(r.stderr).toMatch(/no P2PFaaS node answered on mDNS within 2500 ms/)
    expect(r.stderr).toMatch(/--peer/)
  }, 30_000)
})
