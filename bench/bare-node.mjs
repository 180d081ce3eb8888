// The floor for mesh formation: a bare libp2p node (tcp, noise, yamux, identify, mDNS) that dials
// every peer mDNS reports. No gossip, no view, no HTTP. Prints "connect <peer> <ms>" per connection.
if (typeof Promise.withResolvers !== 'function') {
  Promise.withResolvers = () => { let resolve, reject; const promise = new Promise((res, rej) => { resolve = res; reject = rej }); return { promise, resolve, reject } }
}
const t0 = performance.now()
const { createLibp2p } = await import('libp2p')
const { tcp } = await import('@libp2p/tcp')
const { noise } = await import('@libp2p/noise')
const { yamux } = await import('@libp2p/yamux')
const { identify } = await import('@libp2p/identify')
const { mdns } = await import('@libp2p/mdns')

const interval = Number(process.argv[2] ?? 5000)
const node = await createLibp2p({
  addresses: { listen: ['/ip4/0.0.0.0/tcp/4001'] },
  transports: [tcp()],
  connectionEncrypters: [noise()],
  streamMuxers: [yamux()],
  peerDiscovery: [mdns({ interval, serviceTag: '_p2pfaas-bare._udp.local' })],
  services: { identify: identify() }
})
node.addEventListener('peer:discovery', evt => {
  if (node.peerId.toString() < evt.detail.id.toString()) node.dial(evt.detail.id).catch(() => {})
  else setTimeout(() => { if (node.getConnections(evt.detail.id).length === 0) node.dial(evt.detail.id).catch(() => {}) }, 500)
})
node.addEventListener('peer:connect', evt => { console.log('connect', evt.detail.toString(), Math.round(performance.now() - t0)) })
await node.start()
console.log('peerId', node.peerId.toString())
process.on('SIGTERM', () => { node.stop().finally(() => process.exit(0)) })
