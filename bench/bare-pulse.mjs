// The floor of an idle overlay link: a bare libp2p node (tcp, noise, yamux, identify) that keeps one
// long-lived stream on each connection and, on the streams it opened, sends a 12-byte frame every
// `--every` ms on the wall clock's boundaries, which the other end echoes at once. That is what a
// P2PFaaS link does while idle (a ping every 2 heartbeats, answered), with nothing else: no
// records, no view, no HTTP. `--mode both`: each end sends on every stream and nobody answers (as
// many frames); `--mode quiet`: the streams and no frames; `--mode ring`: a frame every `--every`
// ms on the one stream dialled as "succ", unanswered, and nothing on the others (what a P2PFaaS
// node does once its ring is complete: membership.md). Reads "dial <multiaddr> [succ]" lines on
// stdin; prints "peerId <id>" once listening and "linked <peer>" for each stream, opened or accepted.
if (typeof Promise.withResolvers !== 'function') {
  Promise.withResolvers = () => { let resolve, reject; const promise = new Promise((res, rej) => { resolve = res; reject = rej }); return { promise, resolve, reject } }
}
const { parseArgs } = await import('node:util')
const { createInterface } = await import('node:readline')
const { createLibp2p } = await import('libp2p')
const { tcp } = await import('@libp2p/tcp')
const { noise } = await import('@libp2p/noise')
const { yamux } = await import('@libp2p/yamux')
const { identify } = await import('@libp2p/identify')
const { lpStream } = await import('@libp2p/utils')
const { multiaddr } = await import('@multiformats/multiaddr')

const PROTOCOL = '/bench/pulse/1.0.0'
const { values } = parseArgs({ options: { every: { type: 'string', default: '2000' }, mode: { type: 'string', default: 'echo' } } })
const every = Number(values.every)
const mode = values.mode
if (!['echo', 'both', 'quiet', 'ring'].includes(mode) || !(every >= 10)) {
  console.error('bare-pulse: --mode is echo, both, quiet or ring; --every is at least 10 (ms)')
  process.exit(2)
}
const node = await createLibp2p({
  addresses: { listen: ['/ip4/0.0.0.0/tcp/4001'] },
  transports: [tcp()],
  connectionEncrypters: [noise()],
  streamMuxers: [yamux()],
  connectionMonitor: { enabled: false },
  services: { identify: identify() }
})
const frame = new Uint8Array(12)
const pingers = []
/** What a stream does, by mode and by which end opened it. */
const serve = (stream, peer, opened, succ = false) => {
  console.log('linked', peer)
  const lp = lpStream(stream)
  if (mode === 'echo' && opened) { pingers.push(async () => { await lp.write(frame); await lp.read() }); return }
  if (mode === 'both' || (mode === 'ring' && succ)) pingers.push(async () => { await lp.write(frame) })
  void (async () => {
    for (;;) {
      const bytes = await lp.read()
      if (mode === 'echo') await lp.write(bytes)
    }
  })().catch(() => {})
}
await node.handle(PROTOCOL, (stream, connection) => { serve(stream, connection.remotePeer.toString(), false) },
  { maxInboundStreams: 256, maxOutboundStreams: 256 })
await node.start()
console.log('peerId', node.peerId.toString())

const dial = async (addr, succ) => {
  for (let attempt = 0; attempt < 20; attempt++) {
    try {
      serve(await node.dialProtocol(multiaddr(addr), PROTOCOL), addr.split('/p2p/')[1], true, succ)
      return
    } catch {
      await new Promise(resolve => setTimeout(resolve, 500))
    }
  }
  console.log('dial failed', addr)
}
// One timer for every link, aligned on the wall clock as a P2PFaaS node's heartbeat is.
const tick = () => {
  setTimeout(() => { for (const ping of pingers) void ping().catch(() => {}); tick() }, every - (Date.now() % every))
}
tick()
createInterface({ input: process.stdin }).on('line', line => {
  const [verb, addr, role] = line.trim().split(' ')
  if (verb === 'dial' && addr != null) void dial(addr, role === 'succ')
})
process.on('SIGTERM', () => { node.stop().finally(() => process.exit(0)) })
