import { Counter, Gauge, type Registry } from 'prom-client'
import type { LinkManager } from '../mesh/links.js'
import type { Membership } from '../mesh/membership.js'
import type { MeshView } from '../mesh/view.js'
import type { Libp2p } from '@libp2p/interface'

/** What the mesh series read, at scrape time. */
export interface MeshSources {
  libp2p: Pick<Libp2p, 'getConnections'>
  view: Pick<MeshView, 'connected' | 'size'>
  links: Pick<LinkManager, 'stats' | 'linkPeers'>
  membership: Pick<Membership, 'stats'>
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
  new Counter({
    name: 'p2pfaas_link_frames_total',
    help: 'Frames on this node\'s overlay links (records, pulses, load, digests), by direction',
    labelNames: ['direction'] as const,
    registers,
    collect () {
      const s = mesh.links.stats
      this.reset()
      this.inc({ direction: 'in' }, s.framesIn)
      this.inc({ direction: 'out' }, s.framesOut)
    }
  })
  new Counter({
    name: 'p2pfaas_link_frames_sent_total',
    help: 'Frames this node sent on its links, by what they carried (pulse: liveness only; load: a pulse with load; records, digest, want: membership)',
    labelNames: ['kind'] as const,
    registers,
    collect () {
      this.reset()
      for (const [kind, n] of Object.entries(mesh.links.stats.sent)) this.inc({ kind }, n)
    }
  })
  new Counter({
    name: 'p2pfaas_link_events_total',
    help: 'Overlay links made and lost, and sessions dialled and failed',
    labelNames: ['event'] as const,
    registers,
    collect () {
      const s = mesh.links.stats
      this.reset()
      this.inc({ event: 'link_up' }, s.linksUp)
      this.inc({ event: 'link_down' }, s.linksDown)
      this.inc({ event: 'dial' }, s.dials)
      this.inc({ event: 'dial_failed' }, s.dialFailures)
    }
  })
  new Counter({
    name: 'p2pfaas_link_bytes_total',
    help: 'Bytes of frames on this node\'s overlay links, by direction',
    labelNames: ['direction'] as const,
    registers,
    collect () {
      const s = mesh.links.stats
      this.reset()
      this.inc({ direction: 'in' }, s.bytesIn)
      this.inc({ direction: 'out' }, s.bytesOut)
    }
  })
  new Counter({
    name: 'p2pfaas_member_records_total',
    help: 'Member records received from neighbours, by verdict (rejected ones cost their sender score)',
    labelNames: ['result'] as const,
    registers,
    collect () {
      const s = mesh.membership.stats
      this.reset()
      this.inc({ result: 'accepted' }, s.recordsAccepted)
      this.inc({ result: 'ignored' }, s.recordsIgnored)
      this.inc({ result: 'rejected' }, s.recordsRejected)
      this.inc({ result: 'table_full' }, s.tableFull)
    }
  })
}
