import '../../src/polyfill.js'
import { createSocket } from 'node:dgram'
import multicastDns from 'multicast-dns'

/**
 * A LAN test host that only listens: it joins the mDNS group and prints one JSON line per packet
 * it receives (wall-clock time, sender, kind, size, the PTR names in it), so a test can count what
 * the LAN carried. It never sends. Its argument: { port?, ip? } (multicast-dns options).
 */

const options = JSON.parse(process.argv[2] ?? '{}') as { port?: number, ip?: string }
const socket = createSocket({ type: 'udp4', reuseAddr: true })
// Sizes come from the raw datagram; this listener runs before multicast-dns's, which decodes it.
let lastSize = 0
socket.on('message', message => { lastSize = message.length })
const mdns = multicastDns({ ...options, socket })
mdns.on('packet', (packet, rinfo) => {
  const names = (list: unknown): string[] => Array.isArray(list)
    ? list.filter(r => r?.type === 'PTR').map(r => String(r.data)).slice(0, 64)
    : []
  process.stdout.write(JSON.stringify({
    t: performance.timeOrigin + performance.now(),
    from: rinfo.address,
    kind: packet.type,
    bytes: lastSize,
    questions: Array.isArray(packet.questions) ? packet.questions.map((q: { name?: unknown }) => String(q?.name)) : [],
    ptrs: names(packet.answers),
    id: packet.id
  }) + '\n')
})
mdns.on('ready', () => { process.stdout.write(JSON.stringify({ ev: 'ready' }) + '\n') })
mdns.on('warning', err => { process.stdout.write(JSON.stringify({ ev: 'warning', message: err.message }) + '\n') })
process.on('SIGTERM', () => { mdns.destroy(() => process.exit(0)) })
