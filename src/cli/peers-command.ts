import { addMeshOptions, EXIT, runCommand, type MeshOptions } from './session.js'
import { ask, withSession } from './mesh-client.js'
import { readSecret } from './manage-commands.js'
import { renderTable, shortId, toJson } from './table.js'
import type { FunctionLoadView, ManageResults } from '../manage/protocol.js'
import type { SlotLoad } from '../rules.js'
import type { Command } from 'commander'

export const loadCell = (t: SlotLoad): string => `${t.running}/${t.capacity} q${t.queued}`

export const functionCells = (fns: FunctionLoadView[]): string =>
  fns.length === 0 ? '-' : fns.map(f => `${f.name}(${loadCell(f)})`).join(' ')

/** `peers`: the mesh as one node sees it. */
export function renderPeers (view: ManageResults['peers']): string {
  const s = view.self
  const head = `node ${s.peerId} (p2pfaas ${s.version}, policy ${s.policy})\n` +
    `  running ${loadCell(s.totals)}  functions ${functionCells(s.functions)}\n` +
    `  ${s.addrs.join('\n  ')}\n\n`
  if (view.peers.length === 0) return `${head}no peers: is mDNS reaching other nodes, or are --bootstrap addresses right?\n`
  const rows = view.peers.map(p => [
    shortId(p.peerId),
    p.link === true ? 'link' : p.connected ? 'connected' : 'member',
    // libp2p's ping counts whole milliseconds.
    p.latencyMs == null ? '-' : p.latencyMs < 1 ? '<1 ms' : `${Math.round(p.latencyMs)} ms`,
    p.loadAgeMs == null ? '-' : `${p.loadAgeMs} ms`,
    loadCell(p.totals),
    p.addrs[0] ?? '-',
    functionCells(p.functions)
  ])
  return head + renderTable(['PEER', 'LINK', 'RTT', 'LAST LOAD', 'LOAD', 'ADDRESS', 'FUNCTIONS (running/slots, queued)'], rows)
}

export function registerPeersCommand (program: Command): void {
  addMeshOptions(program.command('peers'))
    .description('the mesh as one node sees it: peers, addresses, round trip, load per function')
    .option('--json', 'as JSON')
    .option('--no-ping', 'do not measure round trips from the node to its peers')
    .option('--admin-secret-file <file>', 'the node\'s admin secret, for a node with --private-reads (P2PFAAS_ADMIN_SECRET_FILE)')
    .addHelpText('after', '\nExample:\n  p2pfaas peers --peer /ip4/192.168.1.10/tcp/4001/p2p/12D3KooW... --json | jq \'.peers[].peerId\'')
    .action(async (opts: MeshOptions & { json?: boolean, ping: boolean, adminSecretFile?: string }) => {
      await runCommand('peers', async () => await withSession(opts, async session => {
        const view = await ask(session, { op: 'peers', ping: opts.ping, secret: await readSecret(opts.adminSecretFile) })
        process.stdout.write(opts.json === true ? toJson(view) : renderPeers(view))
        return EXIT.ok
      }))
    })
}
