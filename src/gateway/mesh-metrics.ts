import { Counter, Gauge, type Registry } from 'prom-client'
import type { LinkManager } from '../mesh/links.js'
import type { Membership } from '../mesh/membership.js'
import type { Mesh } from '../mesh/mesh.js'
import type { MeshView } from '../mesh/view.js'
import type { Libp2p } from '@libp2p/interface'

/** What the mesh series read, at scrape time. */
export interface MeshSources {
  libp2p: Pick<Libp2p, 'getConnections'>
  view: Pick<MeshView, 'connected' | 'size'>
  links: Pick<LinkManager, 'stats' | 'linkPeers' | 'ringMode'>
  membership: Pick<Membership, 'stats'>
  /** Answers undefined when the node runs without mDNS. */
  mdnsStats: Mesh['mdnsStats']
}

/** The mesh as this node sees it: members, connections, overlay links and what crossed them, member records. */
export function meshSeries (mesh: MeshSources, registers: Registry[]): void {
  new Gauge({
    name: 'p2pfaas_mesh_peers',
    help: 'Live members of the mesh this node knows of, itself excluded',
    registers,
    collect () { this.set(mesh.view.size) }
  })
  new Gauge({
    name: 'p2pfaas_mesh_peers_connected',
    help: 'Members this node has a live connection to (links and hand-offs)',
    registers,
    collect () { this.set(mesh.view.connected().length) }
  })
  new Gauge({
    name: 'p2pfaas_libp2p_connections',
    help: 'Open libp2p connections, by direction (any libp2p peer, not only P2PFaaS nodes)',
    labelNames: ['direction'] as const,
    registers,
    collect () {
      const counts = { inbound: 0, outbound: 0 }
      for (const conn of mesh.libp2p.getConnections()) counts[conn.direction]++
      this.set({ direction: 'inbound' }, counts.inbound)
      this.set({ direction: 'outbound' }, counts.outbound)
    }
  })
  new Gauge({
    name: 'p2pfaas_mesh_links',
    help: 'Overlay links of this node: neighbours it exchanges records, pulses and load with',
    registers,
    collect () { this.set(mesh.links.linkPeers().length) }
  })
  new Gauge({
    name: 'p2pfaas_mesh_ring',
    help: '1 while the ring of watched links carries this node\'s liveness (it pulses one neighbour and watches one; its other links are silent), 0 while it watches every link',
    registers,
    collect () { this.set(mesh.links.ringMode() ? 1 : 0) }
  })
  // Counts kept by the link manager and the membership, read whole at scrape time, one label each.
  const countsBy = (name: string, help: string, label: string, read: () => Record<string, number>): void => {
    new Counter<string>({
      name,
      help,
      labelNames: [label],
      registers,
      collect () {
        this.reset()
        for (const [value, n] of Object.entries(read())) this.inc({ [label]: value }, n)
      }
    })
  }
  const stats = (): typeof mesh.links.stats => mesh.links.stats
  countsBy('p2pfaas_link_frames_total', 'Frames on this node\'s overlay links (records, pulses, load, digests), by direction', 'direction',
    () => ({ in: stats().framesIn, out: stats().framesOut }))
  countsBy('p2pfaas_link_frames_sent_total', 'Frames this node sent on its links, by what they carried (pulse: liveness only; load: a pulse with load; records, digest, want: membership)', 'kind',
    () => stats().sent)
  countsBy('p2pfaas_link_events_total', 'Overlay links made and lost, sessions dialled and failed, pings sent to a link that had gone quiet (suspect_ping), and to silent links when the ring broke (probe)', 'event',
    () => ({ link_up: stats().linksUp, link_down: stats().linksDown, dial: stats().dials, dial_failed: stats().dialFailures, suspect_ping: stats().suspectPings, probe: stats().probes }))
  countsBy('p2pfaas_link_bytes_total', 'Bytes of frames on this node\'s overlay links, by direction', 'direction',
    () => ({ in: stats().bytesIn, out: stats().bytesOut }))
  countsBy('p2pfaas_member_records_total', 'Member records received from neighbours, by verdict (rejected ones cost their sender score)', 'result', () => {
    const s = mesh.membership.stats
    return { accepted: s.recordsAccepted, ignored: s.recordsIgnored, rejected: s.recordsRejected, table_full: s.tableFull }
  })
  countsBy('p2pfaas_member_own_versions_total', 'Versions of its own record this node signed, by what changed (start, addrs, functions, links_lost, links_gained, leaving; outranked: a restart found a newer record of its own in the mesh; a version that changed several counts under each). Every member receives and checks each version', 'cause',
    () => ({ ...mesh.membership.stats.ownVersions }))
  // What mDNS costs the LAN: every packet here reaches every host, so these show suppression at work.
  countsBy('p2pfaas_mdns_packets_total', 'mDNS packets this node sent (query, answer, announcement) and took in (query_in, response_in: from others, for our service), and answers it held back (suppressed)', 'kind', (): Record<string, number> => {
    const s = mesh.mdnsStats()
    return s == null
      ? {}
      : { query: s.queriesSent, answer: s.answersSent, announcement: s.announcementsSent, suppressed: s.answersSuppressed, query_in: s.queriesReceived, response_in: s.responsesReceived }
  })
}
