import type { Command } from 'commander'
import { ConfigError, resolveNodeConfig } from '../node/config.js'
import { defaultText, nodeFlagSpecs, type FlagSpec, type NodeFlags } from '../node/flags.js'
import { createLogger } from '../log.js'
import { PolicyError } from '../scheduler/errors.js'
import { holdYoungGeneration, releaseYoungGeneration } from '../young-generation.js'
import { createHeapTrim } from '../heap-trim.js'
import { heapTrimSeries } from '../gateway/process-metrics.js'
import { collect } from './session.js'

/** A flag's line in --help: its text, its default in brackets, and its env name. */
export function optionHelp (spec: FlagSpec): string {
  const repeatable = spec.kind === 'list' ? ', repeatable' : ''
  const shown = spec.helpDefault ?? defaultText(spec)
  const env = spec.kind === 'value' ? spec.env : spec.kind === 'list' ? `${spec.env}, comma-separated` : `${spec.env}=1`
  return `${spec.help}${repeatable}${shown == null ? '' : ` [${shown}]`} (${env})`
}

const mib = (bytes: number): number => Math.round(bytes / 1048576 * 10) / 10

export function registerNodeCommand (program: Command): void {
  const command = program.command('node')
    .description('run a P2PFaaS node: joins the mesh on this LAN and serves HTTP')
  for (const [, spec] of nodeFlagSpecs()) {
    if (spec.kind === 'list') command.option(spec.flag, optionHelp(spec), collect, [])
    else command.option(spec.flag, optionHelp(spec))
  }
  command
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
        releaseYoungGeneration()
        // A bad --policy or --policy-module is found while the node is made: a bad flag like any other.
        if (err instanceof PolicyError) {
          process.stderr.write(`p2pfaas node: ${err.message}\n`)
          process.exit(2)
        }
        log.fatal({ err: err.message }, 'node failed to start')
        process.exit(1)
      }
      // The mesh's upkeep allocates little and briefly: a node that takes no calls keeps the small
      // young generation. Its first call lets it grow as V8 likes, so call throughput is as before.
      // And a node idle after a burst (a fleet joining through it) gives the heap's spare pages back:
      // both follow the same two call events, through one listener.
      const started = node
      let lastCall = -Infinity
      const onCall = (): void => {
        if (lastCall === -Infinity) releaseYoungGeneration()
        lastCall = performance.now()
      }
      started.invoke.addEventListener('call:started', onCall)
      started.executor.addEventListener('call:end', onCall)
      const heapTrim = createHeapTrim({
        busySince: at => lastCall >= at,
        onTrim: (before, after, ms) => { log.debug({ usedMiB: mib(after.used), totalMiB: mib(after.total), wasMiB: mib(before.total), ms: Math.round(ms) }, 'gave spare heap pages back') }
      })
      heapTrimSeries([started.metrics.registry], () => heapTrim.trims)
      heapTrim.start()
      let stopping = false
      const shutdown = (signal: string): void => {
        if (stopping) process.exit(1)
        stopping = true
        log.info({ signal }, 'stopping')
        heapTrim.stop()
        // The grace is for calls; stopping the services after it gets 10 s more.
        const force = setTimeout(() => { log.warn('stop took too long; exiting'); process.exit(1) }, config.stopGraceMs + 10_000)
        force.unref()
        node.stop().then(() => process.exit(0), err => { log.error({ err: err.message }, 'stop failed'); process.exit(1) })
      }
      process.on('SIGINT', () => { shutdown('SIGINT') })
      process.on('SIGTERM', () => { shutdown('SIGTERM') })
    })
}
