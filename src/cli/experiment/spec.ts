import { randomInt } from 'node:crypto'
import { readFile, stat } from 'node:fs/promises'
import { basename, dirname, extname, resolve } from 'node:path'
import { parseDocument } from 'yaml'
import { describeValue, formatIssue, friendlyError, type SpecIssue } from '../../functions/errors.js'
import { isPlainObject } from '../../functions/fields.js'
import { createPolicyCatalog, type PolicyCatalog } from '../../scheduler/catalog.js'
import { PolicyError } from '../../scheduler/errors.js'
import { loadPolicyModules } from '../../scheduler/plugin-load.js'
import { ORIGINAL_NAMES } from '../../scheduler/registry.js'
import { closest } from '../../suggest.js'
import { expectedCount } from '../bench/arrivals.js'
import { LIMITS } from '../bench/options.js'
import { experimentSchema, SPEC_LIMITS, type RawExperiment, type RawPolicy, type ServiceTime } from './spec-schema.js'
import type * as z from 'zod'

export { SPEC_LIMITS, type ServiceTime } from './spec-schema.js'

export const MAX_SPEC_BYTES = 1024 * 1024

/** One node of the experiment, its group's settings copied in. */
export interface NodeSpec {
  index: number
  group: number
  slots: number
  queue: number
  /** Relative speed: its service times are the nominal ones divided by this. */
  speed: number
  /** Multiplies the offered load ρ at this node (sweeps only). */
  weight: number
  /** Calls per second to this node (when the spec gives rates, not ρ). */
  rate?: number
}

export interface TaskType {
  /** Its position in the spec, 0-based: what the task-type header carries. */
  index: number
  name: string
  service: ServiceTime
  deadlineMs: number | null
  /** Its share of the calls, normalised: the shares add up to 1. */
  share: number
}

/** How a policy is set on a node: the body of POST /configuration/scheduler. */
export type PolicyRequest = { policy: string } | { name: string, parameters: string[] }

export interface PolicyChoice { label: string, request: PolicyRequest }

export interface ExperimentSpec {
  name: string
  description?: string
  function: string
  nodes: NodeSpec[]
  tasks: TaskType[]
  /** A sweep over the offered load ρ per node, or fixed rates per node. */
  load: { kind: 'rho', values: number[] } | { kind: 'rate' }
  policies: PolicyChoice[]
  /** Policy plugin modules, absolute paths (relative ones resolve against the spec's folder). */
  modules: string[]
  durationMs: number
  warmupMs: number
  repetitions: number
  seed: number
  timeoutMs: number
  /** Window of figure 3 (within-deadline rate against time); null: chosen from the run's length. */
  windowMs: number | null
  cap: number
  /** E[S] of the task mix at nominal speed, ms. */
  meanServiceMs: number
}

/** Every problem of a spec, one line each, path first: the CLI prints them and exits 2. */
export class ExperimentSpecError extends Error {
  override name = 'ExperimentSpecError'
  constructor (readonly issues: string[]) { super(issues.join('\n')) }
}

/** zod's issues, one per unknown key (strict() puts one message line per key). */
function issuesOf (error: z.ZodError): SpecIssue[] {
  const out: SpecIssue[] = []
  for (const i of error.issues) {
    if (i.code === 'unrecognized_keys') {
      const lines = i.message.split('\n')
      i.keys.forEach((key, j) => out.push({ path: [...i.path, key], message: lines[j] ?? lines[0] ?? 'unknown field' }))
    } else {
      out.push({ path: [...i.path], message: i.message })
    }
  }
  return out
}

function readYaml (text: string, file: string): unknown {
  const doc = parseDocument(text, { uniqueKeys: true })
  if (doc.errors.length > 0) throw new ExperimentSpecError(doc.errors.map(e => `${file}: ${e.message.split('\n')[0]!.replace(/:$/, '')}`))
  let value: unknown
  try { value = doc.toJS({ maxAliasCount: 100 }) } catch (err) { throw new ExperimentSpecError([`${file}: ${(err as Error).message}`]) }
  if (!isPlainObject(value)) throw new ExperimentSpecError([`${file} must be a YAML mapping with nodes, tasks, policies and duration (got ${describeValue(value)})`])
  return value
}

/** What one field cannot say alone: rates against ρ, names given twice, the size of a run. */
function crossChecks (raw: RawExperiment): SpecIssue[] {
  const issues: SpecIssue[] = []
  raw.nodes.forEach((g, i) => {
    if (raw.rho != null && g.rate != null) issues.push({ path: ['nodes', i, 'rate'], message: 'rate and rho exclude each other: rho sweeps the load, rate fixes it; give one' })
    if (raw.rho == null && g.rate == null) issues.push({ path: ['nodes', i], message: 'needs a rate (calls per second to each node of the group), or give rho at the top level to sweep the offered load' })
    if (raw.rho == null && g.weight !== 1) issues.push({ path: ['nodes', i, 'weight'], message: 'weight scales rho, and this spec gives rates: set the rate instead' })
  })
  const total = raw.nodes.reduce((n, g) => n + g.count, 0)
  if (total > SPEC_LIMITS.nodes) issues.push({ path: ['nodes'], message: `${total} nodes in all; at most ${SPEC_LIMITS.nodes}` })
  const twice = (names: string[]): string[] => names.filter((n, i) => names.indexOf(n) !== i)
  for (const name of twice(raw.tasks.map(t => t.name))) issues.push({ path: ['tasks'], message: `task type "${name}" is named twice` })
  if (raw.rho != null) for (const v of twice(raw.rho.map(String))) issues.push({ path: ['rho'], message: `${v} is given twice` })
  return issues
}

/** A policy as the catalog would take it, or the catalog's reason (with a hint for a near name). */
function resolvePolicy (raw: RawPolicy, catalog: PolicyCatalog): PolicyChoice {
  const known = [...catalog.names, ...ORIGINAL_NAMES]
  const hinted = (name: string, err: unknown): never => {
    if (!(err instanceof PolicyError)) throw err
    const near = /^unknown scheduling policy/.test(err.message) ? closest(name.split(':')[0]!.trim(), known) : undefined
    throw new PolicyError(near != null ? `${err.message} (did you mean "${near}"?)` : err.message)
  }
  if (typeof raw === 'string') {
    try { catalog.parse(raw) } catch (err) { hinted(raw, err) }
    return { label: raw.trim(), request: { policy: raw.trim() } }
  }
  const params = raw.parameters ?? []
  const parameters = Array.isArray(params) ? params.map(String) : Object.entries(params).map(([k, v]) => `${k}=${String(v)}`)
  try { catalog.fromOriginal({ name: raw.name, parameters }) } catch (err) { hinted(raw.name, err) }
  const label = raw.label ?? (Array.isArray(params) ? `${raw.name}(${parameters.join(', ')})` : `${raw.name}${parameters.length > 0 ? `:${parameters.join(',')}` : ''}`)
  return { label, request: { name: raw.name, parameters } }
}

/** Plugins first (their names become policies), then each policy; every problem reported. */
async function resolvePolicies (raw: RawExperiment, baseDir: string): Promise<{ policies: PolicyChoice[], modules: string[], issues: SpecIssue[] }> {
  const modules = raw.modules.map(m => resolve(baseDir, m))
  const issues: SpecIssue[] = []
  let catalog = createPolicyCatalog()
  try {
    catalog = createPolicyCatalog({ plugins: await loadPolicyModules(modules) })
  } catch (err) {
    if (!(err instanceof PolicyError)) throw err
    issues.push({ path: ['modules'], message: err.message.replace(/^--policy-module /, '') })
  }
  const policies: PolicyChoice[] = []
  raw.policies.forEach((p, i) => {
    try { policies.push(resolvePolicy(p, catalog)) } catch (err) {
      if (!(err instanceof PolicyError)) throw err
      issues.push({ path: ['policies', i], message: err.message })
    }
  })
  const labels = policies.map(p => p.label)
  for (const [i, l] of labels.entries()) if (labels.indexOf(l) !== i) issues.push({ path: ['policies', i], message: `"${l}" is listed twice; give one of them a label` })
  return { policies, modules, issues }
}

function expand (raw: RawExperiment, name: string, resolved: { policies: PolicyChoice[], modules: string[] }): ExperimentSpec {
  const nodes: NodeSpec[] = raw.nodes.flatMap((g, group) => Array.from({ length: g.count }, () => ({
    group, slots: g.slots, queue: g.queue, speed: g.speed, weight: g.weight, ...(g.rate != null ? { rate: g.rate } : {})
  }))).map((n, index) => ({ index, ...n }))
  const totalShare = raw.tasks.reduce((s, t) => s + t.share, 0)
  const tasks: TaskType[] = raw.tasks.map((t, index) => ({ index, name: t.name, service: t.service, deadlineMs: t.deadline ?? null, share: t.share / totalShare }))
  return {
    name,
    ...(raw.description != null ? { description: raw.description } : {}),
    function: raw.function,
    nodes,
    tasks,
    load: raw.rho != null ? { kind: 'rho', values: raw.rho } : { kind: 'rate' },
    policies: resolved.policies,
    modules: resolved.modules,
    durationMs: raw.duration,
    warmupMs: raw.warmup,
    repetitions: raw.repetitions,
    seed: raw.seed ?? randomInt(2 ** 32 - 1),
    timeoutMs: raw.timeout,
    windowMs: raw.window ?? null,
    cap: raw.cap,
    meanServiceMs: tasks.reduce((s, t) => s + t.share * t.service.meanMs, 0)
  }
}

/** Refuses a spec whose runs would not fit in memory (the runner keeps each run's calls). */
function sizeIssues (spec: ExperimentSpec): SpecIssue[] {
  const loads = spec.load.kind === 'rho' ? spec.load.values : [null]
  const worst = Math.max(...loads.map(rho => { const { mean, sd } = expectedCount(offeredRates(spec, rho), spec.warmupMs + spec.durationMs); return mean + 6 * sd }))
  return worst > LIMITS.maxCalls ? [{ path: ['duration'], message: `one run would make about ${Math.round(worst)} calls; at most ${LIMITS.maxCalls} (shorten duration, lower rho or rate)` }] : []
}

/**
 * Parses and checks a spec's text; `file` names it in messages and its folder anchors relative
 * module paths. Throws ExperimentSpecError listing every problem.
 */
export async function parseExperimentSpec (text: string, file: string): Promise<ExperimentSpec> {
  const parsed = experimentSchema.safeParse(readYaml(text, file), { error: friendlyError })
  if (!parsed.success) throw new ExperimentSpecError(issuesOf(parsed.error).map(formatIssue))
  const issues = crossChecks(parsed.data)
  if (issues.length > 0) throw new ExperimentSpecError(issues.map(formatIssue))
  const resolved = await resolvePolicies(parsed.data, dirname(resolve(file)))
  if (resolved.issues.length > 0) throw new ExperimentSpecError(resolved.issues.map(formatIssue))
  const spec = expand(parsed.data, parsed.data.name ?? basename(file, extname(file)), resolved)
  const size = sizeIssues(spec)
  if (size.length > 0) throw new ExperimentSpecError(size.map(formatIssue))
  return spec
}

/** Reads the spec file (at most 1 MiB), then parseExperimentSpec. */
export async function readExperimentSpec (file: string): Promise<ExperimentSpec> {
  const info = await stat(file).catch((err: Error) => { throw new ExperimentSpecError([`cannot read ${file}: ${err.message}`]) })
  if (!info.isFile()) throw new ExperimentSpecError([`${file} is not a file`])
  if (info.size > MAX_SPEC_BYTES) throw new ExperimentSpecError([`${file} is ${info.size} bytes; at most ${MAX_SPEC_BYTES}`])
  return await parseExperimentSpec(await readFile(file, 'utf8'), file)
}

/**
 * Calls per second to each node. With ρ: λ_i = ρ · weight_i · slots_i · speed_i / E[S], so node i is
 * offered ρ·weight_i of its own capacity (ρ = λ·E[S]/slots at nominal speed). With rates: as given.
 */
export function offeredRates (spec: ExperimentSpec, rho: number | null): number[] {
  const meanS = spec.meanServiceMs / 1000
  return spec.nodes.map(n => rho == null ? n.rate ?? 0 : rho * n.weight * n.slots * n.speed / meanS)
}
