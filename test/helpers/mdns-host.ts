import '../../src/polyfill.js'
import { createInterface } from 'node:readline'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { createLogger } from '../../src/log.js'
import { createMdnsDiscovery, type MdnsDiscoveryInit } from '../../src/mesh/mdns.js'

/**
 * One mDNS discovery on a LAN test host (run inside its namespace, from dist/). Its argument is a
 * JSON object: { ip, init: MdnsDiscoveryInit, membership }. It advertises the fake address
 * /ip4/<ip>/tcp/4001 and, with membership 'on-discovery', stops being isolated once it has found a
 * peer (standing in for a first successful dial); 'isolated' and 'member' hold until told otherwise. Commands on stdin, one per line: start, query,
 * isolate, member, stats, stop (after which the process must end by itself). Events on stdout as JSON lines, with wall-clock times (ms) so the
 * test can line them up with the packets a listener host saw.
 */

interface HostConfig { ip: string, init: MdnsDiscoveryInit, membership: 'on-discovery' | 'isolated' | 'member' }

const config = JSON.parse(process.argv[2] ?? '{}') as HostConfig
const now = (): number => performance.timeOrigin + performance.now()
const print = (event: object): void => { process.stdout.write(JSON.stringify(event) + '\n') }

const peerId = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
let isolated = config.membership !== 'member'
let startedAt = 0
const discovery = createMdnsDiscovery(config.init, {
  peerId,
  addresses: () => [multiaddr(`/ip4/${config.ip}/tcp/4001`)],
  isolated: () => isolated,
  log: createLogger({ level: 'warn', pretty: false })
})
discovery.addEventListener('peer', evt => {
  if (config.membership === 'on-discovery') isolated = false
  const t = now()
  print({ ev: 'peer', t, sinceStartMs: t - startedAt, id: evt.detail.id.toString(), addrs: evt.detail.multiaddrs.map(String), member: evt.detail.member })
})

const commands: Record<string, () => Promise<void> | void> = {
  async start () {
    startedAt = now()
    await discovery.start()
    print({ ev: 'started', t: startedAt })
  },
  query () { discovery.query(); print({ ev: 'queried', t: now() }) },
  isolate () { isolated = true; print({ ev: 'isolated', t: now() }) },
  member () { isolated = false; print({ ev: 'member', t: now() }) },
  stats () { print({ ev: 'stats', t: now(), stats: discovery.stats }) },
  // No process.exit: the process ends by itself only if stop() left no timer or socket behind.
  async stop () {
    await discovery.stop()
    print({ ev: 'stopped', t: now(), stats: discovery.stats })
    lines.close()
    process.stdin.destroy()
  }
}

const lines = createInterface({ input: process.stdin })
lines.on('line', line => {
  const command = commands[line.trim()]
  if (command == null) return
  Promise.resolve(command()).catch(err => { print({ ev: 'error', message: String(err?.message ?? err) }) })
})
process.on('SIGTERM', () => { void discovery.stop().finally(() => process.exit(0)) })
print({ ev: 'ready', id: peerId.toString() })
