// The floor for mesh formation: a bare libp2p node (tcp, noise, yamux, identify, mDNS) that dials
// every peer mDNS reports. No gossip, no view, no HTTP. Prints "connect <peer> <ms>" per connection.
//   node bare-node.mjs [mdns interval ms]                      mDNS, full mesh
//   node bare-node.mjs --no-mdns [--bootstrap <multiaddr>]     no discovery; dial only that address
// The second form is the floor of a fleet where every node is given node 1's address: a star.
if (typeof Promise.withResolvers !== 'function') {
  Promise.withResolvers = () => { let resolve, reject; const promise = new Promise((res, rej) => { resolve = res; reject = rej }); return { promise, resolve, reject } }
}
const t0 = performance.now()
const { parseArgs } = await import('node:util')
const { createLibp2p } = await import('libp2p')
const { tcp } = await import('@libp2p/tcp')
const { noise } = await import('@libp2p/noise')
const { yamux } = await import('@libp2p/yamux')
const { identify } = await import('@libp2p/identify')
const { mdns } = await import('@libp2p/mdns')
const { multiaddr } = await import('@multiformats/multiaddr')

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { 'no-mdns': { type: 'boolean', default: false }, bootstrap: { type: 'string' } }
})
const interval = Number(positionals[0] ?? 5000)
const node = await createLibp2p({
  addresses: { listen: ['/ip4/0.0.0.0/tcp/4001'] },
  transports: [tcp()],
  connectionEncrypters: [noise()],
  streamMuxers: [yamux()],
  peerDiscovery: values['no-mdns'] ? [] : [mdns({ interval, serviceTag: '_p2pfaas-bare._udp.local' })],
  services: { identify: identify() }
})
// libp2p reports a peer once, when it is new to the peer store: a dial that fails (a loaded
// machine) is retried here, or that pair would never connect.
const dialUntilConnected = async (id, attempts = 10) => {
  for (let i = 0; i < attempts && node.getConnections(id).length === 0; i++) {
    if (await node.dial(id).then(() => true, () => false)) return
    await new Promise(resolve => setTimeout(resolve, 1000))
  }
}
node.addEventListener('peer:discovery', evt => {
  if (node.peerId.toString() < evt.detail.id.toString()) void dialUntilConnected(evt.detail.id)
  else setTimeout(() => { void dialUntilConnected(evt.detail.id) }, 500)
})
node.addEventListener('peer:connect', evt => { console.log('connect', evt.detail.toString(), Math.round(performance.now() - t0)) })
await node.start()
console.log('peerId', node.peerId.toString())

// Stay connected to the bootstrap address: dial until it answers, and again if it goes.
let stopped = false
if (values.bootstrap != null) {
  const target = multiaddr(values.bootstrap)
  const dial = async () => {
    while (!stopped && node.getConnections().length === 0) {
      await node.dial(target).catch(() => new Promise(resolve => setTimeout(resolve, 500)))
    }
  }
  node.addEventListener('peer:disconnect', () => { void dial() })
  void dial()
}
process.on('SIGTERM', () => { stopped = true; node.stop().finally(() => process.exit(0)) })
