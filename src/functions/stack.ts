import { createRequire } from 'node:module'
import type * as Yaml from 'yaml'
import * as z from 'zod'
import { describeValue, FunctionSpecError, formatIssue, friendlyError, issuesFromZod, type SpecIssue } from './errors.js'
import { isPlainObject } from './fields.js'
import { validateDeployBody } from './openfaas.js'
import type { FunctionSpec } from './types.js'

/**
 * yaml, loaded by the first stack file parsed: a node started without --functions may never see
 * one, and the parser (some 2 MiB in memory) is not worth holding for that. `require` keeps
 * parseStackYaml synchronous; yaml ships CommonJS for Node.
 */
let yaml: typeof Yaml | undefined
const loadYaml = (): typeof Yaml => (yaml ??= createRequire(import.meta.url)('yaml') as typeof Yaml)

export const MAX_STACK_BYTES = 1024 * 1024
export const MAX_STACK_FUNCTIONS = 256
const MAX_ALIASES = 100

/** stack.yml function fields → deploy body fields; the rest of the validation is the deploy body's. */
const TO_DEPLOY: Record<string, string> = {
  image: 'image',
  fprocess: 'envProcess',
  environment: 'envVars',
  labels: 'labels',
  annotations: 'annotations',
  limits: 'limits',
  requests: 'requests',
  readonly_root_filesystem: 'readOnlyRootFilesystem',
  secrets: 'secrets',
  constraints: 'constraints',
  namespace: 'namespace'
}
const FROM_DEPLOY = Object.fromEntries(Object.entries(TO_DEPLOY).map(([k, v]) => [v, k]))

// faas-cli uses these to build images; by the time a function is deployed they no longer matter.
const BUILD_ONLY = ['lang', 'handler', 'build_args', 'build_options', 'build_secrets', 'build_config', 'skip_build', 'platforms', 'registry_auth']

// Values that faas-cli reads as strings, whatever YAML makes of them (1.0, true, 0x1F).
const STRING_MAPS = ['environment', 'labels', 'annotations', 'limits', 'requests']

const stackSchema = z.strictObject({
  version: z.union([z.string(), z.number()]).nullish(),
  provider: z.strictObject({ name: z.string().nullish(), gateway: z.string().nullish(), network: z.string().nullish() }).nullish(),
  functions: z.record(z.string(), z.unknown()),
  configuration: z.unknown().optional()
}, { error: iss => iss.code === 'unrecognized_keys' ? 'unknown field; stack.yml has version, provider, functions, configuration' : undefined })

/**
 * Parses a faas-cli stack.yml into function specs, each validated exactly as a deploy body would be.
 * Throws FunctionSpecError listing every problem of every function, paths as written in the file.
 */
export function parseStackYaml (text: string): FunctionSpec[] {
  const bytes = Buffer.byteLength(text)
  if (bytes > MAX_STACK_BYTES) throw new FunctionSpecError([`stack.yml is ${bytes} bytes; at most ${MAX_STACK_BYTES}`])
  const doc = readYaml(text)
  const parsed = stackSchema.safeParse(doc, { error: friendlyError })
  if (!parsed.success) throw FunctionSpecError.from(issuesFromZod(parsed.error))
  const entries = Object.entries(parsed.data.functions)
  if (entries.length === 0) throw new FunctionSpecError(['functions: at least one function is needed'])
  if (entries.length > MAX_STACK_FUNCTIONS) {
    throw new FunctionSpecError([`functions: ${entries.length} functions; at most ${MAX_STACK_FUNCTIONS} in one stack`])
  }
  const specs: FunctionSpec[] = []
  const issues: SpecIssue[] = []
  for (const [name, fn] of entries) {
    const r = stackFunction(name, fn)
    if ('spec' in r) specs.push(r.spec)
    else issues.push(...r.issues.map(i => ({ path: ['functions', name, ...i.path], message: i.message })))
  }
  if (issues.length > 0) throw new FunctionSpecError(issues.map(formatIssue))
  return specs
}

function readYaml (text: string): unknown {
  const doc = loadYaml().parseDocument(text, { uniqueKeys: true })
  if (doc.errors.length > 0) {
    // The first line says what and where; the rest is an excerpt of the source.
    throw new FunctionSpecError(doc.errors.map(e => `stack.yml: ${e.message.split('\n')[0]!.replace(/:$/, '')}`))
  }
  stringifyScalars(doc)
  let value: unknown
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIASES })
  } catch (err: any) {
    throw new FunctionSpecError([`stack.yml: ${String(err.message)}`])
  }
  if (!isPlainObject(value)) throw new FunctionSpecError([`stack.yml must be a YAML mapping with a "functions" key (got ${describeValue(value)})`])
  return value
}

/**
 * faas-cli decodes environment, labels, annotations and resources into Go strings, so `n: 1.0`
 * means "1.0" and `debug: true` means "true". Take each such scalar's source text, not YAML's value.
 */
function stringifyScalars (doc: Yaml.Document): void {
  const { isMap, isScalar } = loadYaml()
  const functions = doc.get('functions')
  if (!isMap(functions)) return
  for (const fn of functions.items) {
    if (!isMap(fn.value)) continue
    for (const field of STRING_MAPS) {
      const map = fn.value.get(field)
      if (!isMap(map)) continue
      for (const pair of map.items) {
        if (!isScalar(pair.value) || typeof pair.value.value === 'string') continue
        pair.value.value = pair.value.value == null ? '' : (pair.value.source ?? String(pair.value.value))
      }
    }
  }
}

function stackFunction (name: string, fn: unknown): { spec: FunctionSpec } | { issues: SpecIssue[] } {
  if (!isPlainObject(fn)) return { issues: [{ path: [], message: `must be a map of function settings (got ${describeValue(fn)})` }] }
  const issues: SpecIssue[] = []
  const body: Record<string, unknown> = { service: name }
  for (const [key, value] of Object.entries(fn)) {
    if (key === 'environment_file') {
      issues.push({ path: [key], message: 'not supported: put the values under environment instead (files next to stack.yml are not sent to the node)' })
    } else if (key === 'readonly_root_filesystem') {
      body.readOnlyRootFilesystem = yamlBoolean(value)
    } else if (TO_DEPLOY[key] != null) {
      body[TO_DEPLOY[key]] = value
    } else if (!BUILD_ONLY.includes(key)) {
      issues.push({ path: [key], message: `unknown field; a stack.yml function has ${[...Object.keys(TO_DEPLOY), ...BUILD_ONLY].join(', ')}` })
    }
  }
  const r = validateDeployBody(body)
  if ('issues' in r) issues.push(...r.issues.map(toStackIssue))
  return issues.length > 0 || !('spec' in r) ? { issues } : { spec: r.spec }
}

/** Booleans that Go's YAML 1.1 decoder accepts too; anything else goes on, to be reported. */
function yamlBoolean (v: unknown): unknown {
  if (typeof v !== 'string') return v
  if (/^(true|yes|on)$/i.test(v)) return true
  if (/^(false|no|off)$/i.test(v)) return false
  return v
}

function toStackIssue (issue: SpecIssue): SpecIssue {
  const [head, ...rest] = issue.path
  if (head === 'service') return { path: [], message: `name ${issue.message}` }
  const field = typeof head === 'string' ? FROM_DEPLOY[head] ?? head : head
  // Messages name deploy-body fields in places (e.g. envProcess); say it the stack.yml way.
  const message = issue.message.replace(/\benvProcess\b/g, 'fprocess')
  return { path: field === undefined ? rest : [field, ...rest], message }
}
