// Stock @libp2p/mdns on a LAN test host, as other libp2p nodes and the `p2pfaas` CLI run it: it
// advertises /ip4/<ip>/tcp/4002/p2p/<its id> on the given tag, queries every interval, and prints
// its PeerId and then one JSON line per peer it discovers. Argument: { ip, tag, interval }.
if (typeof Promise.withResolvers !== 'function') {
  Promise.withResolvers = () => { let resolve, reject; const promise = new Promise((res, rej) => { resolve = res; reject = rej }); return { promise, resolve, reject } }
}
const { mdns } = await import('@libp2p/mdns')
const { defaultLogger } = await import('@libp2p/logger')
const { generateKeyPair } = await import('@libp2p/crypto/keys')
const { peerIdFromPrivateKey } = await import('@libp2p/peer-id')
const { multiaddr } = await import('@multiformats/multiaddr')

const { ip, tag, interval } = JSON.parse(process.argv[2])
const peerId = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
const addr = multiaddr(`/ip4/${ip}/tcp/4002/p2p/${peerId}`)
const discovery = mdns({ serviceTag: tag, interval })({
  logger: defaultLogger(),
  addressManager: { getAddresses: () => [addr] }
})
discovery.addEventListener('peer', evt => {
  console.log(JSON.stringify({ ev: 'peer', t: performance.timeOrigin + performance.now(), id: evt.detail.id.toString(), addrs: evt.detail.multiaddrs.map(String) }))
})
await discovery.start()
console.log(JSON.stringify({ ev: 'ready', id: peerId.toString() }))
process.on('SIGTERM', () => { discovery.stop().finally(() => process.exit(0)) })
