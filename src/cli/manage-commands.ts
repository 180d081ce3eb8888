import { readFile, stat } from 'node:fs/promises'
import { FunctionSpecError, parseDeployBody } from '../functions/openfaas.js'
import { MAX_STACK_BYTES, parseStackYaml } from '../functions/stack.js'
import { LABELS } from '../functions/types.js'
import { ask, meshNodes, reach, withSession } from './mesh-client.js'
import { addMeshOptions, cliConfigDir, cliIdentity, CliError, collect, EXIT, parseWhole, runCommand, type MeshOptions } from './session.js'
import { renderTable, shortId, toJson } from './table.js'
import type { ManageRequest, ManageResults } from '../manage/protocol.js'
import type { Command } from 'commander'

/** The admin secret from --admin-secret-file or P2PFAAS_ADMIN_SECRET_FILE; undefined when neither. */
export async function readSecret (file: string | undefined): Promise<string | undefined> {
  const path = file ?? (process.env.P2PFAAS_ADMIN_SECRET_FILE !== '' ? process.env.P2PFAAS_ADMIN_SECRET_FILE : undefined)
  if (path == null) return undefined
  const size = (await stat(path).catch((err: Error) => { throw new CliError(EXIT.usage, `--admin-secret-file: ${err.message}`) })).size
  if (size > 1024) throw new CliError(EXIT.usage, `--admin-secret-file: ${path} is larger than 1 KiB; is it the right file?`)
  return (await readFile(path, 'utf8')).trim()
}

interface DeployOptions extends MeshOptions {
  file?: string
  image?: string
  env: string[]
  label: string[]
  concurrency?: string
  queue?: string
  minWarm?: string
  all?: boolean
  adminSecretFile?: string
  timeout: string
  json?: boolean
}

const pairs = (values: string[], flag: string): Record<string, string> => Object.fromEntries(values.map(v => {
  const eq = v.indexOf('=')
  if (eq <= 0) throw new CliError(EXIT.usage, `${flag} "${v}": give key=value`)
  return [v.slice(0, eq), v.slice(eq + 1)]
}))

/** The deploy request, checked here first so a typo is a usage error before anything is sent. */
async function deployRequest (name: string | undefined, opts: DeployOptions): Promise<Extract<ManageRequest, { op: 'deploy' }>> {
  try {
    if (opts.file != null) {
      if (name != null || opts.image != null) throw new CliError(EXIT.usage, 'give either -f stack.yml or <name> --image <image>, not both')
      const size = (await stat(opts.file).catch((err: Error) => { throw new CliError(EXIT.usage, `-f: ${err.message}`) })).size
      if (size > MAX_STACK_BYTES) throw new CliError(EXIT.usage, `-f: ${opts.file} is larger than ${MAX_STACK_BYTES} bytes`)
      const stack = await readFile(opts.file, 'utf8')
      parseStackYaml(stack)
      return { op: 'deploy', stack }
    }
    if (name == null) throw new CliError(EXIT.usage, 'what to deploy? give -f stack.yml, or <name> --image <image>')
    const labels = pairs(opts.label, '--label')
    if (opts.concurrency != null) labels[LABELS.concurrency] = String(parseWhole(opts.concurrency, '--concurrency', 1, 1024))
    if (opts.queue != null) labels[LABELS.queue] = String(parseWhole(opts.queue, '--queue', 0, 100_000))
    if (opts.minWarm != null) labels[LABELS.minWarm] = String(parseWhole(opts.minWarm, '--min-warm', 0, 1024))
    const body = { service: name, ...(opts.image != null ? { image: opts.image } : {}), envVars: pairs(opts.env, '--env'), labels }
    parseDeployBody(body)
    return { op: 'deploy', functions: [body] }
  } catch (err) {
    if (err instanceof FunctionSpecError) throw new CliError(EXIT.usage, err.message)
    throw err
  }
}

async function deploy (name: string | undefined, opts: DeployOptions): Promise<number> {
  const request = { ...await deployRequest(name, opts), secret: await readSecret(opts.adminSecretFile) }
  const timeoutMs = parseWhole(opts.timeout, '--timeout', 1000, 3_600_000)
  return await withSession(opts, async session => {
    const targets = opts.all === true ? await meshNodes(session, { secret: request.secret }) : [{ peerId: session.peer, addrs: [] }]
    const outcomes = await Promise.all(targets.map(async node => {
      try {
        await reach(session, node)
        return { node: node.peerId, ok: true, deployed: (await ask(session, request, timeoutMs, node.peerId)).deployed }
      } catch (err: any) {
        return { node: node.peerId, ok: false, error: err.message as string, exit: err instanceof CliError ? err.exitCode : EXIT.functionError }
      }
    }))
    if (opts.json === true) process.stdout.write(toJson(outcomes))
    else {
      for (const o of outcomes) {
        process.stdout.write(o.ok ? `deployed ${o.deployed!.join(', ')} on ${o.node}\n` : '')
        if (!o.ok) process.stderr.write(`p2pfaas deploy: ${o.node}: ${o.error}\n`)
      }
    }
    return outcomes.find(o => !o.ok)?.exit ?? EXIT.ok
  }, 'persistent')
}

interface RemoveOptions extends MeshOptions { all?: boolean, adminSecretFile?: string, json?: boolean }

async function remove (name: string, opts: RemoveOptions): Promise<number> {
  const secret = await readSecret(opts.adminSecretFile)
  return await withSession(opts, async session => {
    const targets = opts.all === true ? await meshNodes(session, { secret }) : [{ peerId: session.peer, addrs: [] }]
    const outcomes = await Promise.all(targets.map(async node => {
      try {
        await reach(session, node)
        await ask(session, { op: 'remove', name, secret }, 30_000, node.peerId)
        return { node: node.peerId, removed: true }
      } catch (err: any) {
        return { node: node.peerId, removed: false, error: err.message as string, exit: err instanceof CliError ? err.exitCode : EXIT.functionError }
      }
    }))
    if (opts.json === true) process.stdout.write(toJson(outcomes))
    for (const o of outcomes) {
      if (o.removed && opts.json !== true) process.stdout.write(`removed ${name} from ${o.node}\n`)
      if (!o.removed && opts.json !== true) process.stderr.write(`p2pfaas rm: ${o.node}: ${o.error}\n`)
    }
    // --all: nodes that never had it are fine, as long as one had it.
    const failures = outcomes.filter(o => !o.removed && !(opts.all === true && o.exit === EXIT.notFound))
    if (opts.all === true && !outcomes.some(o => o.removed) && failures.length === 0) return EXIT.notFound
    return failures[0]?.exit ?? EXIT.ok
  }, 'persistent')
}

/** `ls`: every function in the mesh and the nodes it is on; details for the asked node's own. */
export function renderList (list: ManageResults['list']): string {
  const where = new Map<string, string[]>()
  const add = (fn: string, node: string): void => { where.set(fn, [...(where.get(fn) ?? []), node]) }
  for (const fn of list.functions) add(fn.name, list.node)
  for (const p of list.peers) for (const fn of p.functions) add(fn, p.peerId)
  const local = new Map(list.functions.map(f => [f.name, f]))
  const rows = [...where.keys()].sort().map(name => {
    const mine = local.get(name)
    const nodes = where.get(name)!
    return [
      name,
      String(nodes.length),
      mine?.image ?? (mine != null ? `(${mine.runtime})` : '-'),
      mine != null ? `${mine.availableReplicas}/${mine.replicas}` : '-',
      mine != null ? String(mine.invocationCount) : '-',
      nodes.map(n => n === list.node ? `${shortId(n)}*` : shortId(n)).join(' ')
    ]
  })
  if (rows.length === 0) return `no functions are deployed in the mesh (as ${shortId(list.node)} sees it)\n`
  return renderTable(['FUNCTION', 'NODES', 'IMAGE', 'READY', 'CALLS', 'WHERE (* = the node asked)'], rows)
}

export function registerManageCommands (program: Command): void {
  program.command('id')
    .description('print this CLI\'s PeerId, the identity nodes trust with --admin')
    .option('--json', 'as JSON')
    .addHelpText('after', `
The key is made on first use and kept in $XDG_CONFIG_HOME/p2pfaas/identity.key (~/.config/p2pfaas/).

Example:
  p2pfaas node --admin $(p2pfaas id)      # on a node: trust this CLI to deploy and remove`)
    .action(async (opts: { json?: boolean }) => {
      await runCommand('id', async () => {
        const identity = await cliIdentity()
        const { peerIdFromPrivateKey } = await import('@libp2p/peer-id')
        const peerId = peerIdFromPrivateKey(identity.privateKey).toString()
        process.stdout.write(opts.json === true ? toJson({ peerId, keyFile: identity.path, created: identity.created }) : `${peerId}\n`)
        if (identity.created && opts.json !== true) process.stderr.write(`(a new CLI identity, kept in ${cliConfigDir()})\n`)
        return EXIT.ok
      })
    })

  addMeshOptions(program.command('deploy [name]'))
    .description('deploy functions to a node (or every node) of the mesh, over libp2p')
    .option('-f, --file <stack.yml>', 'a faas-cli stack file: every function in it')
    .option('--image <image>', 'the function\'s container image')
    .option('--env <k=v>', 'an environment variable, repeatable', collect, [])
    .option('--label <k=v>', 'a label (p2pfaas.* settings), repeatable', collect, [])
    .option('--concurrency <n>', `calls running at once per node (${LABELS.concurrency})`)
    .option('--queue <n>', `calls waiting for a slot per node (${LABELS.queue})`)
    .option('--min-warm <n>', `containers kept started while idle (${LABELS.minWarm})`)
    .option('--all', 'deploy on every node of the mesh, not only the one reached')
    .option('--admin-secret-file <file>', 'authenticate with the node\'s admin secret instead of this CLI\'s trusted identity (P2PFAAS_ADMIN_SECRET_FILE)')
    .option('--timeout <ms>', 'give up on a node after this long', '120000')
    .option('--json', 'print the outcome per node as JSON')
    .addHelpText('after', `
Deploying needs a node that trusts this CLI: start it with --admin <PeerId> (\`p2pfaas id\` prints
it), or pass --admin-secret-file. Exit codes: 0 done, 2 usage, 5 unreachable, 7 unauthorised.

Examples:
  p2pfaas deploy -f stack.yml --all
  p2pfaas deploy echo --image p2pfaas/fn-echo:latest --concurrency 4 --queue 8 --min-warm 1`)
    .action(async (name: string | undefined, opts: DeployOptions) => { await runCommand('deploy', async () => await deploy(name, opts)) })

  addMeshOptions(program.command('rm <name>'))
    .description('remove a function from a node (or every node) of the mesh')
    .option('--all', 'remove it from every node of the mesh')
    .option('--admin-secret-file <file>', 'authenticate with the node\'s admin secret (P2PFAAS_ADMIN_SECRET_FILE)')
    .option('--json', 'print the outcome per node as JSON')
    .addHelpText('after', '\nExample:\n  p2pfaas rm echo --all')
    .action(async (name: string, opts: RemoveOptions) => { await runCommand('rm', async () => await remove(name, opts)) })

  addMeshOptions(program.command('ls'))
    .description('list every function in the mesh and the nodes it is deployed on')
    .option('--json', 'as JSON: the asked node\'s functions in full, and its peers\' function names')
    .option('--admin-secret-file <file>', 'the node\'s admin secret, for a node with --private-reads (P2PFAAS_ADMIN_SECRET_FILE)')
    .addHelpText('after', '\nExample:\n  p2pfaas ls --peer /ip4/192.168.1.10/tcp/4001/p2p/12D3KooW...')
    .action(async (opts: MeshOptions & { json?: boolean, adminSecretFile?: string }) => {
      await runCommand('ls', async () => await withSession(opts, async session => {
        const list = await ask(session, { op: 'list', secret: await readSecret(opts.adminSecretFile) })
        process.stdout.write(opts.json === true ? toJson(list) : renderList(list))
        return EXIT.ok
      }))
    })
}
