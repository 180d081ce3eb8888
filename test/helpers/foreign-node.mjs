// An unrelated libp2p node with default settings (default mDNS tag, default agent), plus, to be a
// hard case, a second mDNS listener on P2PFaaS's tag: it dials every P2PFaaS node it hears of.
// Prints its PeerId, then one line per connection event.
if (typeof Promise.withResolvers !== 'function') {
  Promise.withResolvers = () => { let resolve, reject; const promise = new Promise((res, rej) => { resolve = res; reject = rej }); return { promise, resolve, reject } }
}
const { createLibp2p } = await import('libp2p')
const { tcp } = await import('@libp2p/tcp')
const { noise } = await import('@libp2p/noise')
const { yamux } = await import('@libp2p/yamux')
const { identify } = await import('@libp2p/identify')
const { mdns } = await import('@libp2p/mdns')

const node = await createLibp2p({
  addresses: { listen: ['/ip4/0.0.0.0/tcp/4001'] },
  transports: [tcp()],
  connectionEncrypters: [noise()],
  streamMuxers: [yamux()],
  peerDiscovery: [mdns({ interval: 1000 }), mdns({ interval: 1000, serviceTag: '_p2pfaas._udp.local' })],
  services: { identify: identify() }
})
node.addEventListener('peer:discovery', evt => {
  node.dial(evt.detail.id).then(() => console.log('dialled', evt.detail.id.toString()), err => console.log('dial failed', err.message))
})
node.addEventListener('peer:connect', evt => { console.log('connect', evt.detail.toString()) })
node.addEventListener('peer:disconnect', evt => { console.log('disconnect', evt.detail.toString()) })
await node.start()
console.log('peerId', node.peerId.toString())
process.on('SIGTERM', () => { node.stop().finally(() => process.exit(0)) })
