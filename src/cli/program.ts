// The `p2pfaas` command line: every command, parsed and run (main.ts loads this).
import { Command } from 'commander'
import { registerBenchCommand } from './bench/bench-command.js'
import { registerDemoCommand } from './demo.js'
import { registerExperimentCommand } from './experiment/command.js'
import { registerInvokeCommand } from './invoke-command.js'
import { registerManageCommands } from './manage-commands.js'
import { registerPeersCommand } from './peers-command.js'
import { registerTopCommand } from './top-command.js'
import { registerNodeCommand } from './node-command.js'
import { registerSwarmKeyCommand } from './swarm-key-command.js'
import { VERSION } from '../mesh/libp2p.js'
import { releaseYoungGeneration } from '../young-generation.js'

const program = new Command()
  .name('p2pfaas')
  .description('Decentralised Function-as-a-Service at the edge, on a libp2p mesh')
  .version(VERSION)
  .showHelpAfterError('(run with --help for usage)')

// Usage errors exit 2, the convention the CLI's other exit codes build on. Set before the
// subcommands are added, so they inherit it.
program.exitOverride(err => {
  process.exit(err.exitCode === 0 ? 0 : 2)
})

registerNodeCommand(program)
registerDemoCommand(program)
registerInvokeCommand(program)
registerBenchCommand(program)
registerExperimentCommand(program)
registerManageCommands(program)
registerPeersCommand(program)
registerTopCommand(program)
registerSwarmKeyCommand(program)

// The modules are loaded: a command's own work grows the young generation as V8 sees fit. Not
// the node's: it keeps it held until it has started (node-command.ts).
program.hook('preAction', (_program, command) => { if (command.name() !== 'node') releaseYoungGeneration() })

await program.parseAsync(process.argv)
