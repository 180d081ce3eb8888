import { Command } from 'commander'
import { describe, expect, it } from 'vitest'
import { optionHelp, registerNodeCommand } from '../../src/cli/node-command.js'
import { NODE_FLAG_KEYS, NODE_FLAGS, nodeFlagSpecs } from '../../src/node/flags.js'

function nodeCommand (): Command {
  const program = new Command()
  registerNodeCommand(program)
  return program.commands.find(c => c.name() === 'node')!
}

describe('p2pfaas node options', () => {
  it('has one option per flag of the table, named as the table keys them', () => {
    const options = nodeCommand().options
    expect(options.map(o => o.attributeName())).toEqual(NODE_FLAG_KEYS)
    for (const [i, [, spec]] of nodeFlagSpecs().entries()) {
      expect(options[i]!.flags).toBe(spec.flag)
      expect(options[i]!.description).toBe(optionHelp(spec))
    }
  })

  it('shows each flag in --help with its default and its env name', () => {
    const help = nodeCommand().helpInformation()
    for (const [, spec] of nodeFlagSpecs()) {
      expect(help).toContain(spec.flag)
      expect(help).toContain(spec.env)
    }
    expect(optionHelp(NODE_FLAGS.listen)).toBe('libp2p listen address, repeatable [/ip4/0.0.0.0/tcp/4001] (P2PFAAS_LISTEN, comma-separated)')
    expect(optionHelp(NODE_FLAGS.runtime)).toBe('auto|docker|process: where functions run [auto: Docker if an engine answers] (P2PFAAS_RUNTIME)')
    expect(optionHelp(NODE_FLAGS.mdns)).toBe('do not discover peers with mDNS (P2PFAAS_NO_MDNS=1)')
    expect(optionHelp(NODE_FLAGS.swarmKey)).toBe('private network key; without it the mesh is open (P2PFAAS_SWARM_KEY)')
  })

  it('hands repeatable flags over as lists, switches as booleans', () => {
    const command = nodeCommand()
    command.action(() => {})
    command.parse(['--listen', '/ip4/127.0.0.1/tcp/1', '--listen', '/ip4/127.0.0.1/tcp/2', '--no-mdns', '--private-reads', '--heartbeat', '300'], { from: 'user' })
    expect(command.opts()).toMatchObject({ listen: ['/ip4/127.0.0.1/tcp/1', '/ip4/127.0.0.1/tcp/2'], mdns: false, privateReads: true, heartbeat: '300', bootstrap: [] })
  })
})
