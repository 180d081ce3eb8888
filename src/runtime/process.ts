import { spawn } from 'node:child_process'
import { RuntimeError, type Runtime, type RuntimeRequest, type RuntimeResponse } from './types.js'
import { MAX_BODY_BYTES } from '../rules.js'
import type { FunctionSpec } from '../functions/types.js'
import type { Logger } from '../log.js'

export interface ProcessRuntimeInit {
  log: Logger
  maxResponseBytes?: number
}

/** Environment a function process inherits from the node: enough to find programs, nothing secret. */
const INHERITED_ENV = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR', 'NODE_PATH']

/** `X-Foo-bar` → `Http_X_Foo_Bar`, as the classic OpenFaaS watchdog names headers. */
export function headerEnvName (header: string): string {
  return 'Http_' + header.split('-').map(w => w.charAt(0).toUpperCase() + w.slice(1).toLowerCase()).join('_')
}

/** Splits a command line the way a shell would for simple quoting, without running a shell. */
export function splitCommand (command: string): string[] {
  const words: string[] = []
  const re = /"((?:\\.|[^"\\])*)"|'([^']*)'|(\S+)/g
  let m: RegExpExecArray | null
  while ((m = re.exec(command)) != null) words.push(m[1]?.replace(/\\(.)/g, '$1') ?? m[2] ?? m[3]!)
  return words
}

/**
 * The classic watchdog contract, with no container: for each call, start the function's command,
 * body on stdin, response from stdout, headers as Http_* variables. Not isolated: the function runs
 * as this node's user. It is the fallback when no Docker engine is reachable, and says so.
 */
export class ProcessRuntime implements Runtime {
  readonly name = 'process'
  private readonly specs = new Map<string, { spec: FunctionSpec, argv: string[] }>()
  private readonly running = new Set<ReturnType<typeof spawn>>()
  private readonly log: Logger
  private readonly maxResponseBytes: number

  constructor (init: ProcessRuntimeInit) {
    this.log = init.log.child({ component: 'process-runtime' })
    this.maxResponseBytes = init.maxResponseBytes ?? MAX_BODY_BYTES
  }

  async start (): Promise<void> {}

  async stop (): Promise<void> {
    for (const child of this.running) child.kill('SIGKILL')
    this.running.clear()
    this.specs.clear()
  }

  async deploy (spec: FunctionSpec): Promise<void> {
    const argv = splitCommand(spec.envProcess ?? '')
    if (argv.length === 0) throw new RuntimeError('DEPLOY_FAILED', `function ${spec.name} has no envProcess (fprocess): the process runtime needs the command to run`)
    // Said when a function actually runs this way, not at every start of a node that has Docker.
    this.log.warn({ function: spec.name }, 'process runtime: this function runs as the node\'s user, with NO isolation (no container, no limits). Use Docker for anything you do not trust.')
    this.specs.set(spec.name, { spec, argv })
  }

  async remove (name: string): Promise<void> {
    this.specs.delete(name)
  }

  instances (name: string): { total: number, ready: number } {
    return this.specs.has(name) ? { total: 1, ready: 1 } : { total: 0, ready: 0 }
  }

  async invoke (name: string, req: RuntimeRequest): Promise<RuntimeResponse> {
    const entry = this.specs.get(name)
    if (entry == null) throw new RuntimeError('FUNCTION_NOT_FOUND', `function ${name} is not deployed on this node`)
    const { spec, argv } = entry
    const env: Record<string, string> = {}
    for (const k of INHERITED_ENV) if (process.env[k] != null) env[k] = process.env[k]!
    Object.assign(env, spec.env, { Http_Method: req.method, Http_Path: req.path, Http_Query: req.query })
    for (const [k, v] of Object.entries(req.headers)) env[headerEnvName(k)] = v
    if (req.signal.aborted) throw req.signal.reason

    return await new Promise<RuntimeResponse>((resolve, reject) => {
      const child = spawn(argv[0]!, argv.slice(1), { env, stdio: ['pipe', 'pipe', 'pipe'] })
      this.running.add(child)
      const out: Buffer[] = []
      const err: Buffer[] = []
      let outBytes = 0
      let errBytes = 0
      let failure: unknown
      const onAbort = (): void => { failure = req.signal.reason; child.kill('SIGKILL') }
      req.signal.addEventListener('abort', onAbort, { once: true })
      child.stdout.on('data', (chunk: Buffer) => {
        outBytes += chunk.length
        if (outBytes > this.maxResponseBytes) {
          failure = new RuntimeError('RESPONSE_TOO_LARGE', `the function wrote more than ${this.maxResponseBytes} bytes`)
          child.kill('SIGKILL')
        } else out.push(chunk)
      })
      child.stderr.on('data', (chunk: Buffer) => { if ((errBytes += chunk.length) <= 65536) err.push(chunk) })
      child.stdin.on('error', () => {}) // a function that does not read its input is not an error
      child.stdin.end(req.body)
      child.once('error', e => { failure ??= new RuntimeError('FUNCTION_CRASHED', `could not start ${argv[0]}: ${e.message}`) })
      child.once('close', (code, signal) => {
        this.running.delete(child)
        req.signal.removeEventListener('abort', onAbort)
        if (failure != null) { reject(failure); return }
        if (signal != null) {
          reject(new RuntimeError('FUNCTION_CRASHED', `function ${name} was killed by ${signal} during the call`))
          return
        }
        const contentType = spec.env.content_type ?? req.headers['content-type'] ?? 'text/plain; charset=utf-8'
        if (code === 0) resolve({ status: 200, headers: { 'content-type': contentType }, body: Buffer.concat(out) })
        else resolve({ status: 500, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: Buffer.concat([Buffer.from(`exit status ${code}\n`), ...err]) })
      })
    })
  }
}
