// The floor for one hop: a bare libp2p node (tcp, noise, yamux) answering one length-prefixed
// frame per stream with the same bytes, in its own process like a P2PFaaS node.
// Prints its multiaddr, then serves until SIGTERM.
if (typeof Promise.withResolvers !== 'function') {
  Promise.withResolvers = () => { let resolve, reject; const promise = new Promise((res, rej) => { resolve = res; reject = rej }); return { promise, resolve, reject } }
}
const { createLibp2p } = await import('libp2p')
const { tcp } = await import('@libp2p/tcp')
const { noise } = await import('@libp2p/noise')
const { yamux } = await import('@libp2p/yamux')
const { lpStream } = await import('@libp2p/utils')

const node = await createLibp2p({
  addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
  transports: [tcp()],
  connectionEncrypters: [noise()],
  streamMuxers: [yamux()]
})
await node.handle('/bench/echo/1.0.0', async stream => {
  const lp = lpStream(stream, { maxDataLength: 32 * 1024 * 1024 })
  const data = await lp.read()
  await lp.write(data)
  await stream.close()
}, { maxInboundStreams: 1024, maxOutboundStreams: 1024 })
await node.start()
console.log(node.getMultiaddrs()[0].toString())
process.on('SIGTERM', () => { node.stop().finally(() => process.exit(0)) })
