// The floor for an idle node's footprint: a bare libp2p node (tcp, noise, yamux, identify) on
// loopback, without mDNS (so it may run in the root network namespace). No gossip, no view, no HTTP.
// Prints "ready <peerId>"; answers every line on stdin with process.memoryUsage() and the size of
// V8's young generation (newSpace) as one JSON line.
if (typeof Promise.withResolvers !== 'function') {
  Promise.withResolvers = () => { let resolve, reject; const promise = new Promise((res, rej) => { resolve = res; reject = rej }); return { promise, resolve, reject } }
}
const { getHeapSpaceStatistics } = await import('node:v8')
const { createLibp2p } = await import('libp2p')
const { tcp } = await import('@libp2p/tcp')
const { noise } = await import('@libp2p/noise')
const { yamux } = await import('@libp2p/yamux')
const { identify } = await import('@libp2p/identify')

const node = await createLibp2p({
  addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
  transports: [tcp()],
  connectionEncrypters: [noise()],
  streamMuxers: [yamux()],
  services: { identify: identify() }
})
await node.start()
process.stdin.on('data', () => {
  const newSpace = getHeapSpaceStatistics().find(s => s.space_name === 'new_space')?.space_size
  process.stdout.write(JSON.stringify({ ...process.memoryUsage(), newSpace }) + '\n')
})
process.stdout.write(`ready ${node.peerId.toString()}\n`)
process.on('SIGTERM', () => { node.stop().finally(() => process.exit(0)) })
