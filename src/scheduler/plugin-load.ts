import { stat } from 'node:fs/promises'
import { extname, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { PolicyError } from './errors.js'
import { checkPlugin } from './plugin-check.js'
import type { PolicyPlugin } from './plugin.js'

export interface LoadPolicyInit {
  /** Relative paths resolve against this; default process.cwd(), as a shell user expects. */
  cwd?: string
}

function loadFailure (where: string, abs: string, err: unknown): PolicyError {
  const code = (err as { code?: unknown } | null)?.code
  const message = err instanceof Error ? err.message : String(err)
  if (code === 'ERR_UNKNOWN_FILE_EXTENSION' && ['.ts', '.mts', '.cts'].includes(extname(abs))) {
    return new PolicyError(`${where}: Node cannot run TypeScript; give the compiled .js (npm run build puts the examples in dist/examples/policies/)`)
  }
  // Node 20 reads a .js file outside a "type": "module" package as CommonJS.
  const esmAsCjs = err instanceof SyntaxError && /import statement outside a module|Unexpected token 'export'/.test(message)
  const hint = esmAsCjs ? ' (an ES module needs the .mjs extension, or "type": "module" in the package.json beside it)' : ''
  return new PolicyError(`${where}: could not be loaded: ${message}${hint}`)
}

/**
 * A policy plugin from a JS module's default export (ESM, or CommonJS `module.exports`), checked at
 * the edge. The module runs with the node's own rights: load only code you trust, as with any
 * dependency. Throws PolicyError naming the flag and the file.
 */
export async function loadPolicyModule (path: string, init: LoadPolicyInit = {}): Promise<PolicyPlugin> {
  const where = `--policy-module ${path}`
  const abs = resolve(init.cwd ?? process.cwd(), path)
  const info = await stat(abs).catch(() => undefined)
  if (info === undefined || !info.isFile()) throw new PolicyError(`${where}: no such file (${abs})`)
  let mod: unknown
  try {
    mod = await import(pathToFileURL(abs).href)
  } catch (err) {
    throw loadFailure(where, abs, err)
  }
  const exported = (mod as { default?: unknown }).default
  if (exported === undefined) throw new PolicyError(`${where}: no default export; export default { name, parameters, create(params) }`)
  return checkPlugin(exported, where)
}

/** Each module in order; the first bad one throws. */
export async function loadPolicyModules (paths: readonly string[], init: LoadPolicyInit = {}): Promise<PolicyPlugin[]> {
  const plugins: PolicyPlugin[] = []
  for (const path of paths) plugins.push(await loadPolicyModule(path, init))
  return plugins
}
