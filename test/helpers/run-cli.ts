import { execFile } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CLI } from './cli.js'

export interface CliRun { code: number, stdout: Buffer, stderr: string }

/**
 * One CLI identity for the whole test file, in a temp dir: tests never touch ~/.config, and the
 * nodes a test starts can be told to trust it.
 */
export const CLI_CONFIG_HOME = mkdtempSync(join(tmpdir(), 'p2pfaas-cli-'))

export interface CliRunOptions {
  input?: Uint8Array
  env?: NodeJS.ProcessEnv
  timeoutMs?: number
}

/**
 * Runs the built `p2pfaas` as a user would. P2PFAAS_NO_MDNS is set: in the machine's root network
 * namespace the CLI must never look for nodes with mDNS (tests give --peer).
 */
export async function p2pfaas (args: string[], options: CliRunOptions = {}): Promise<CliRun> {
  return await new Promise(resolve => {
    const env = { ...process.env, XDG_CONFIG_HOME: CLI_CONFIG_HOME, P2PFAAS_NO_MDNS: '1', P2PFAAS_PEER: '', ...options.env }
    const child = execFile(process.execPath, [CLI, ...args], { encoding: 'buffer', env, timeout: options.timeoutMs ?? 30_000, maxBuffer: 64 * 1024 * 1024 }, (err: any, stdout, stderr) => {
      resolve({ code: err?.code ?? 0, stdout, stderr: stderr.toString() })
    })
    if (options.input != null) child.stdin!.end(options.input)
    else child.stdin!.end()
  })
}
