import { newCall } from '../invoke/call.js'
import { createInvokeClient } from '../invoke/client.js'
import { addMeshOptions, CliError, collect, EXIT, exitForCode, openSession, parseHeaders, parseWhole, readFileBounded, runCommand, type MeshOptions } from './session.js'
import { MAX_BODY_BYTES as MAX_BODY } from '../rules.js'
import type { Command } from 'commander'

interface InvokeOptions extends MeshOptions { data?: string, header: string[], bypass?: boolean, timeout: string, verbose?: boolean }

async function readBody (data: string | undefined): Promise<Uint8Array> {
  if (data != null && data.startsWith('@')) return await readFileBounded(data.slice(1), MAX_BODY, '-d')
  if (data != null) return Buffer.from(data)
  if (process.stdin.isTTY === true) return new Uint8Array()
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of process.stdin) {
    size += (chunk as Buffer).length
    if (size > MAX_BODY) throw new CliError(EXIT.usage, `the body on stdin is larger than ${MAX_BODY} bytes`)
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks)
}

/**
 * `p2pfaas invoke`: the CLI is a short-lived libp2p peer that hands the call to a node over the
 * invoke protocol, as a client: the node schedules it as if it had come over HTTP.
 */
export function registerInvokeCommand (program: Command): void {
  addMeshOptions(program.command('invoke <function>'))
    .description('call a function through a node of the mesh, over libp2p (no HTTP port needed)')
    .option('-d, --data <data>', 'the body: text, or @file; stdin when absent and not a terminal')
    .option('-H, --header <k:v>', 'a request header, repeatable', collect, [])
    .option('--bypass', 'ask the node to run it itself (X-P2pfaas-Scheduler-Bypass)')
    .option('--timeout <ms>', 'give up after this long', '60000')
    .option('-v, --verbose', 'print the status, the path, hops and timings on stderr')
    .addHelpText('after', `
The body goes to stdout byte for byte. Exit codes: 0 success, 1 the function answered an error,
2 usage, 3 overloaded, 4 function not found, 5 node unreachable or lost, 6 timeout.

Examples:
  p2pfaas invoke echo --peer /ip4/192.168.1.10/tcp/4001/p2p/12D3KooW... -d 'hello'
  p2pfaas invoke imageproc -d @photo.jpg -H content-type:image/jpeg > boxes.jpg`)
    .action(async (fn: string, opts: InvokeOptions) => { await runCommand('invoke', async () => await invoke(fn, opts)) })
}

async function invoke (fn: string, opts: InvokeOptions): Promise<number> {
  const timeoutMs = parseWhole(opts.timeout, '--timeout', 1, 3_600_000)
  const headers = parseHeaders(opts.header)
  if (opts.bypass === true) headers['x-p2pfaas-scheduler-bypass'] = 'true'
  const body = await readBody(opts.data)
  const signal = AbortSignal.timeout(timeoutMs)
  const started = performance.now()
  const session = await openSession(opts, { signal })
  let exit: number = EXIT.ok
  try {
    const call = newCall({ function: fn, headers, body, deadline: performance.now() + timeoutMs })
    const result = await createInvokeClient({ libp2p: session.libp2p }).handOff({ peer: session.peer, call, maxBodyBytes: MAX_BODY, signal, fromClient: true })
    if (result.outcome === 'refused') {
      // Refused before it was accepted: a code of its own, or the node could not take it at all.
      exit = exitForCode(result.code, EXIT.unreachable)
      process.stderr.write(`p2pfaas invoke: ${result.code}: ${result.message}\n`)
    } else if (result.outcome === 'lost') {
      exit = EXIT.unreachable
      process.stderr.write(`p2pfaas invoke: the node was lost after accepting the call (it may have run): ${result.message}\n`)
    } else {
      if (result.errorCode != null) {
        exit = exitForCode(result.errorCode)
        process.stderr.write(`p2pfaas invoke: ${result.errorCode}: ${result.errorMessage ?? ''}\n`)
      } else {
        if (result.response.status >= 400) exit = EXIT.functionError
        await new Promise<void>(resolve => process.stdout.write(result.response.body, () => { resolve() }))
      }
      if (opts.verbose === true) {
        const path = result.trace.map(t => t.peer)
        process.stderr.write(`status ${result.response.status}, ran on ${path.at(-1) ?? '?'}, path ${JSON.stringify(path)}, ${Math.max(0, path.length - 1)} hop(s), ` +
          `exec ${(result.trace.at(-1)?.execMs ?? 0).toFixed(1)} ms, total ${(performance.now() - started).toFixed(1)} ms\n`)
      }
    }
  } finally {
    await session.close()
  }
  return exit
}
