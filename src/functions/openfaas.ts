import * as z from 'zod'
import { describeValue, FunctionSpecError, formatIssue, friendlyError, issuesFromZod, type SpecIssue } from './errors.js'
import { envProcessSchema, imageSchema, isPlainObject, nameSchema, runtimeNeeds, stringMapSchema } from './fields.js'
import { formatCpu, formatMemory, parseCpu, parseMemory } from './quantities.js'
import { readSettings } from './settings.js'
import { FUNCTION_DEFAULTS, LABELS, type FunctionSpec } from './types.js'

export { FunctionSpecError } from './errors.js'

/** OpenFaaS `FunctionResources`: quantities as strings. */
export interface OpenFaaSResources {
  memory?: string
  cpu?: string
}

/** The body of `POST|PUT /system/functions`, as we give it back on `GET /system/function/{name}`. */
export interface OpenFaaSDeployBody {
  service: string
  image?: string
  namespace: string
  envProcess?: string
  envVars: Record<string, string>
  labels: Record<string, string>
  annotations: Record<string, string>
  limits?: OpenFaaSResources
  readOnlyRootFilesystem: boolean
}

/** OpenFaaS `FunctionStatus`, the element of `GET /system/functions`. */
export interface OpenFaaSFunctionStatus {
  name: string
  image: string
  namespace: string
  envProcess: string
  envVars: Record<string, string>
  labels: Record<string, string>
  annotations: Record<string, string>
  limits?: OpenFaaSResources
  replicas: number
  availableReplicas: number
  invocationCount: number
  readOnlyRootFilesystem: boolean
}

export const NAMESPACE = 'openfaas-fn'

// Go clients send omitted fields as null or "" as often as they leave them out: all mean "not set".
const blank = (v: unknown): unknown => v === null || v === '' ? undefined : v
const optional = <T extends z.ZodType>(schema: T) => z.preprocess(blank, schema.optional())

const quantity = (parse: typeof parseMemory) => z.union([z.string(), z.number()]).transform((v, ctx) => {
  const r = parse(v)
  if (r.ok) return r.value
  ctx.addIssue({ code: 'custom', message: r.message })
  return z.NEVER
})

const resources = optional(z.strictObject({
  memory: optional(quantity(parseMemory)),
  cpu: optional(quantity(parseCpu))
}))

const unsupportedList = (why: string) => z.unknown().optional().superRefine((v, ctx) => {
  if (v == null || (Array.isArray(v) && v.length === 0)) return
  ctx.addIssue({ code: 'custom', message: `not supported: ${why} (got ${describeValue(v)})` })
})

const DEPLOY_FIELDS = {
  service: nameSchema,
  image: optional(imageSchema),
  envProcess: optional(envProcessSchema),
  envVars: optional(stringMapSchema('env')),
  labels: optional(stringMapSchema('meta')),
  annotations: optional(stringMapSchema('meta')),
  secrets: unsupportedList('P2PFaaS has no secret store; pass the values in envVars'),
  constraints: unsupportedList('the mesh decides placement; leave constraints empty'),
  limits: resources,
  // Accepted for compatibility; a node has no scheduler that would reserve them.
  requests: resources,
  readOnlyRootFilesystem: z.boolean().nullish(),
  namespace: z.unknown().optional().superRefine((v, ctx) => {
    if (v == null || v === '' || v === NAMESPACE) return
    ctx.addIssue({ code: 'custom', message: `must be "${NAMESPACE}" or left out: all functions share one namespace (got ${describeValue(v)})` })
  }),
  // Deprecated OpenFaaS fields that the gateway itself ignores; older faas-cli versions still send them.
  network: z.string().nullish(),
  registryAuth: z.string().nullish()
}

const unknownField = `unknown field; the deploy body has ${Object.keys(DEPLOY_FIELDS).join(', ')}`

const deployBodySchema = z.strictObject(DEPLOY_FIELDS, {
  error: iss => iss.code === 'unrecognized_keys' ? unknownField : undefined
}).superRefine((body, ctx) => {
  for (const i of crossFieldIssues(body)) ctx.addIssue({ code: 'custom', message: i.message, path: i.path })
}, { when: () => true })

type DeployBody = z.output<typeof deployBodySchema>

/**
 * Checks that need several fields: the `p2pfaas.*` labels (min-warm against concurrency) and what
 * the chosen runtime needs. Runs even when single fields failed, so one answer lists every problem;
 * it therefore reads the raw input defensively.
 */
function crossFieldIssues (raw: unknown): SpecIssue[] {
  if (!isPlainObject(raw)) return []
  const { settings, issues } = readSettings(isPlainObject(raw.labels) ? raw.labels : {})
  const labelIssues = issues.map(i => ({ path: ['labels', ...i.path], message: i.message }))
  // With the runtime itself in doubt, what it needs is too.
  if (issues.some(i => i.path[0] === LABELS.runtime)) return labelIssues
  // Given at all counts: a value of the wrong type is reported by its own field.
  const present = (v: unknown): boolean => v != null && v !== ''
  return [...labelIssues, ...runtimeNeeds(settings.runtime, present(raw.image), present(raw.envProcess))]
}

/** The one validation path: deploy bodies and stack.yml functions both come through here. */
export function validateDeployBody (body: unknown): { spec: FunctionSpec } | { issues: SpecIssue[] } {
  if (!isPlainObject(body)) return { issues: [{ path: [], message: `must be a JSON object (got ${describeValue(body)})` }] }
  const parsed = deployBodySchema.safeParse(body, { error: friendlyError })
  if (!parsed.success) return { issues: issuesFromZod(parsed.error) }
  return { spec: toSpec(parsed.data) }
}

/** Parses an OpenFaaS deploy body. Throws FunctionSpecError listing every problem. */
export function parseDeployBody (body: unknown): FunctionSpec {
  const r = validateDeployBody(body)
  if ('issues' in r) {
    throw new FunctionSpecError(r.issues.map(i => i.path.length === 0 ? `deploy body ${i.message}` : formatIssue(i)))
  }
  return r.spec
}

function toSpec (body: DeployBody): FunctionSpec {
  const labels = body.labels ?? {}
  const { settings } = readSettings(labels)
  return {
    name: body.service,
    ...(body.image != null ? { image: body.image } : {}),
    ...(body.envProcess != null ? { envProcess: body.envProcess } : {}),
    env: body.envVars ?? {},
    labels,
    annotations: body.annotations ?? {},
    limits: {
      ...(body.limits?.memory != null ? { memoryBytes: body.limits.memory } : {}),
      ...(body.limits?.cpu != null ? { cpus: body.limits.cpu } : {}),
      pids: FUNCTION_DEFAULTS.pids
    },
    ...settings,
    readOnlyRootFilesystem: body.readOnlyRootFilesystem ?? false
  }
}

function toResources (spec: FunctionSpec): OpenFaaSResources | undefined {
  const { memoryBytes, cpus } = spec.limits
  if (memoryBytes == null && cpus == null) return undefined
  return {
    ...(memoryBytes != null ? { memory: formatMemory(memoryBytes) } : {}),
    ...(cpus != null ? { cpu: formatCpu(cpus) } : {})
  }
}

/**
 * The spec as an OpenFaaS deploy body; `parseDeployBody(toDeployBody(spec))` gives the spec back.
 * The `p2pfaas.*` settings appear as the labels the user set, as strings; unset ones are not filled
 * in, so that a GET-edit-PUT cycle does not turn node-wide defaults into per-function settings.
 */
export function toDeployBody (spec: FunctionSpec): OpenFaaSDeployBody {
  const limits = toResources(spec)
  return {
    service: spec.name,
    ...(spec.image != null ? { image: spec.image } : {}),
    namespace: NAMESPACE,
    ...(spec.envProcess != null ? { envProcess: spec.envProcess } : {}),
    envVars: { ...spec.env },
    labels: { ...spec.labels },
    annotations: { ...spec.annotations },
    ...(limits != null ? { limits } : {}),
    readOnlyRootFilesystem: spec.readOnlyRootFilesystem
  }
}

export interface FunctionCounts {
  replicas: number
  availableReplicas: number
  invocationCount: number
}

/** The spec and its live counts as an OpenFaaS `FunctionStatus`. */
export function toFunctionStatus (spec: FunctionSpec, counts: FunctionCounts): OpenFaaSFunctionStatus {
  const limits = toResources(spec)
  return {
    name: spec.name,
    image: spec.image ?? '',
    namespace: NAMESPACE,
    envProcess: spec.envProcess ?? '',
    envVars: { ...spec.env },
    labels: { ...spec.labels },
    annotations: { ...spec.annotations },
    ...(limits != null ? { limits } : {}),
    replicas: counts.replicas,
    availableReplicas: counts.availableReplicas,
    invocationCount: counts.invocationCount,
    readOnlyRootFilesystem: spec.readOnlyRootFilesystem
  }
}
