import type { Command } from 'commander'
import { newSwarmKey } from '../mesh/swarm-key.js'

export function registerSwarmKeyCommand (program: Command): void {
  program.command('swarm-key')
    .description('print a new random private-network key (give the same file to every node)')
    .addHelpText('after', '\nExample:\n  p2pfaas swarm-key > swarm.key && chmod 600 swarm.key')
    .action(() => {
      process.stdout.write(newSwarmKey())
    })
}
