import type { Command } from 'commander'
import { ConfigError, DEFAULT_FUNCTION_CPUS, DEFAULT_FUNCTION_MEMORY, DEFAULT_HTTP, DEFAULT_LINKS, DEFAULT_LISTEN, DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_MEMBERS, DEFAULT_MDNS_INTERVAL_MS, DEFAULT_PEER_MANAGE_RATE, DEFAULT_STOP_GRACE_MS, DEFAULT_WARN_INTERVAL_MS, ENV, resolveNodeConfig, type NodeFlags } from '../node/config.js'
import { createLogger } from '../log.js'
import { PolicyError } from '../scheduler/errors.js'
import { holdYoungGeneration, releaseYoungGeneration } from '../young-generation.js'
import { collect } from './session.js'

export function registerNodeCommand (program: Command): void {
  program.command('node')
    .description('run a P2PFaaS node: joins the mesh on this LAN and serves HTTP')
    .option('--listen <multiaddr>', `libp2p listen address, repeatable [${DEFAULT_LISTEN}] (${ENV.listen})`, collect, [])
    .option('--http <host:port>', `HTTP API and dashboard address [${DEFAULT_HTTP}] (${ENV.http})`)
    .option('--data-dir <dir>', `identity key and state [~/.local/share/p2pfaas] (${ENV.dataDir})`)
    .option('--bootstrap <multiaddr>', `a node to join the mesh through (one is enough), repeatable (${ENV.bootstrap})`, collect, [])
    .option('--no-mdns', `do not discover peers with mDNS (${ENV.noMdns}=1)`)
    .option('--mdns-interval <ms>', `longest wait between mDNS queries while the node has no mesh [${DEFAULT_MDNS_INTERVAL_MS}] (${ENV.mdnsInterval})`)
    .option('--swarm-key <file>', `private network key; without it the mesh is open (${ENV.swarmKey})`)
    .option('--announce <multiaddr>', `address to announce instead of the listen ones, repeatable (${ENV.announce})`, collect, [])
    .option('--heartbeat <ms>', `the overlay's clock: a ping on every link every 2, a link silent for 3 is dead [1000] (${ENV.heartbeat})`)
    .option('--links <n>', `overlay links (neighbours with fresh load) to keep [${DEFAULT_LINKS}] (${ENV.links})`)
    .option('--max-connections <n>', `connections to other nodes, links and hand-offs [${DEFAULT_MAX_CONNECTIONS}] (${ENV.maxConnections})`)
    .option('--max-members <n>', `members of the mesh a node keeps track of at most [${DEFAULT_MAX_MEMBERS}] (${ENV.maxMembers})`)
    .option('--runtime <kind>', `auto|docker|process: where functions run [auto: Docker if an engine answers] (${ENV.runtime})`)
    .option('--docker-network <name>', `run function containers on this Docker network (when the node itself is in a container) (${ENV.dockerNetwork})`)
    .option('--admin-secret-file <file>', `management password file [generated in the data dir] (${ENV.adminSecretFile})`)
    .option('--admin <peerId>', `trust this identity to deploy and remove (a CLI's \`p2pfaas id\`), repeatable (${ENV.admin}, comma-separated)`, collect, [])
    .option('--max-body <bytes>', `largest request or response body [16777216] (${ENV.maxBody})`)
    .option('--policy <spec>', `scheduling policy name[:k=v,...]: local, random, round-robin, power-of-d, threshold, least-loaded, round-robin-master, learning [least-loaded] (${ENV.policy})`)
    .option('--policy-module <file.js>', `load a scheduling policy plugin (a JS module, docs/writing-a-policy.md); then --policy <its name>, repeatable (${ENV.policyModule}, comma-separated)`, collect, [])
    .option('--seed <n>', `seed the scheduler's random choices, for repeatable experiments (${ENV.seed})`)
    .option('--functions <stack.yml>', `deploy the functions of this faas-cli stack file at start (${ENV.functions})`)
    .option('--function-memory <size>', `memory limit of a function container whose spec sets none (256Mi, 512MiB, 1Gi; 0: none) [${DEFAULT_FUNCTION_MEMORY}] (${ENV.functionMemory})`)
    .option('--function-cpus <cpus>', `CPU limit of a function container whose spec sets none (1, 0.5, 500m; 0: none) [${DEFAULT_FUNCTION_CPUS}] (${ENV.functionCpus})`)
    .option('--peer-invoke-rate <n>', `calls (and load probes) one peer may hand this node per second, bursts of 2 s; 0: no limit [auto: 100 per slot, at least 1000] (${ENV.peerInvokeRate})`)
    .option('--peer-manage-rate <n>', `management requests one peer may send per second, bursts of 2 s; 0: no limit [${DEFAULT_PEER_MANAGE_RATE}] (${ENV.peerManageRate})`)
    .option('--private-reads', `reads that reveal the mesh (/mesh, dashboard, metrics, ls, peers...) need the admin credentials too (${ENV.privateReads}=1)`)
    .option('--warn-interval <ms>', `log a remote peer's repeated warning at most once per interval, with the count held back [${DEFAULT_WARN_INTERVAL_MS}] (${ENV.warnInterval})`)
    .option('--stop-grace <ms>', `on SIGTERM, how long queued and running calls get to finish; new calls are refused meanwhile [${DEFAULT_STOP_GRACE_MS}] (${ENV.stopGrace})`)
    .option('--log-level <level>', `trace|debug|info|warn|error [info] (${ENV.logLevel})`)
    .addHelpText('after', `
Examples:
  p2pfaas node                                   # on a LAN: finds its peers by mDNS
  p2pfaas node --swarm-key /etc/p2pfaas/swarm.key
  p2pfaas node --no-mdns --listen /ip4/127.0.0.1/tcp/4002 --http 127.0.0.1:18081 \\
               --bootstrap /ip4/127.0.0.1/tcp/4001/p2p/12D3KooW...`)
    .action(async (flags: NodeFlags) => {
      // Starting allocates mostly what lives as long as the node: keep the young generation small
      // until it is up (src/young-generation.ts), so an idle node does not carry a grown one.
      holdYoungGeneration()
      let config
      try {
        config = resolveNodeConfig(flags)
      } catch (err) {
        if (err instanceof ConfigError) {
          process.stderr.write(`p2pfaas node: ${err.message}\n`)
          process.exit(2)
        }
        throw err
      }
      const log = createLogger({ level: config.logLevel })
      let node
      try {
        // Loaded here, not at the top: every other command would pay for Docker, HTTP and metrics.
        const { createNode } = await import('../node/node.js')
        node = await createNode(config, log)
        await node.start()
      } catch (err: any) {
        // A bad --policy or --policy-module is found while the node is made: a bad flag like any other.
        if (err instanceof PolicyError) {
          process.stderr.write(`p2pfaas node: ${err.message}\n`)
          process.exit(2)
        }
        log.fatal({ err: err.message }, 'node failed to start')
        process.exit(1)
      } finally {
        releaseYoungGeneration()
      }
      let stopping = false
      const shutdown = (signal: string): void => {
        if (stopping) process.exit(1)
        stopping = true
        log.info({ signal }, 'stopping')
        // The grace is for calls; stopping the services after it gets 10 s more.
        const force = setTimeout(() => { log.warn('stop took too long; exiting'); process.exit(1) }, config.stopGraceMs + 10_000)
        force.unref()
        node.stop().then(() => process.exit(0), err => { log.error({ err: err.message }, 'stop failed'); process.exit(1) })
      }
      process.on('SIGINT', () => { shutdown('SIGINT') })
      process.on('SIGTERM', () => { shutdown('SIGTERM') })
    })
}
