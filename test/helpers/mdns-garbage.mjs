// Sends malformed and hostile mDNS packets for a tag to the group, then one valid response, and
// prints the PeerId of that valid one (sent three times, the last at a new port). Argument: { tag }. A discovery that hears it must survive
// and report only the valid peer.
import { createSocket } from 'node:dgram'
import { randomBytes } from 'node:crypto'
import multicastDns from 'multicast-dns'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'

const { tag } = JSON.parse(process.argv[2])
const mdns = multicastDns()
await new Promise(resolve => mdns.once('ready', resolve))
const send = async (answers, additionals = []) => { await new Promise(resolve => mdns.respond({ answers, additionals }, resolve)) }
const ptr = name => ({ name: tag, type: 'PTR', ttl: 120, data: `${name}.${tag}` })
const txt = (name, data) => ({ name: `${name}.${tag}`, type: 'TXT', ttl: 120, data })
const idOf = async () => peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()

// Undecodable datagrams.
const raw = createSocket({ type: 'udp4', reuseAddr: true })
for (let i = 0; i < 3; i++) await new Promise(resolve => raw.send(randomBytes(40 + i * 200), 5353, '224.0.0.251', resolve))
raw.close()
await send([ptr('noaddrs')])
await send([ptr('nopeer'), txt('nopeer', 'dnsaddr=/ip4/10.0.0.9/tcp/1')])
await send([ptr('badpeer'), txt('badpeer', 'dnsaddr=/ip4/10.0.0.9/tcp/1/p2p/QmNotAPeerId')])
await send([ptr('badaddr'), txt('badaddr', 'dnsaddr=/ip9/what'), txt('badaddr', ['dnsaddr=', Buffer.from([0xff, 0, 0xfe])])])
const many = await idOf()
await send([ptr('many'), ...Array.from({ length: 17 }, (_, i) => txt('many', `dnsaddr=/ip4/10.0.0.9/tcp/${i + 1}/p2p/${many}`))])
await send([ptr('wrongname'), txt('other', `dnsaddr=/ip4/10.0.0.9/tcp/1/p2p/${await idOf()}`)])
await new Promise(resolve => mdns.query({ questions: [{ name: tag, type: 'SRV' }, { name: 'x'.repeat(60), type: 'PTR' }] }, resolve))
// The bad ones again: a list that named no valid peer names none the second time either.
await send([ptr('badpeer'), txt('badpeer', 'dnsaddr=/ip4/10.0.0.9/tcp/1/p2p/QmNotAPeerId')])
await send([ptr('nopeer'), txt('nopeer', 'dnsaddr=/ip4/10.0.0.9/tcp/1')])
// Then one valid response, in the additionals as the libp2p spec puts it, twice; then the same
// instance at another address (a restart on a new port): the discovery must report the new one.
const good = await idOf()
await send([ptr('good')], [txt('good', `dnsaddr=/ip4/10.0.0.9/tcp/4001/p2p/${good}`)])
await send([ptr('good')], [txt('good', `dnsaddr=/ip4/10.0.0.9/tcp/4001/p2p/${good}`)])
await send([ptr('good')], [txt('good', `dnsaddr=/ip4/10.0.0.9/tcp/4002/p2p/${good}`)])
console.log(JSON.stringify({ ev: 'sent', good, many }))
mdns.destroy()
