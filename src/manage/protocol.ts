import { z } from 'zod'
import { FUNCTION_NAME } from '../rules.js'
import { MAX_STACK_BYTES } from '../functions/stack.js'
import type { CallRecord, ObservedFunctionSecond } from '../observe/recorder.js'
import type { FunctionLoadViewSchema, LocalFunctionSchema, NodeSelfSchema, PeerViewSchema, RESULT_SCHEMAS } from './results.js'

/** Spec: protocols/manage.md. One request frame, one response frame, per stream. */
export const MANAGE_PROTOCOL = '/p2pfaas/manage/1.0.0'
/** A stack.yml at its largest, with room for the envelope. */
export const MAX_REQUEST_BYTES = MAX_STACK_BYTES + 64 * 1024
export const MAX_RESPONSE_BYTES = 4 * 1024 * 1024

const secret = z.string().min(1).max(1024).optional()
const name = z.string().regex(FUNCTION_NAME, 'a function name: lower-case letters, digits and dashes')

export const ManageRequestSchema = z.discriminatedUnion('op', [
  z.object({ op: z.literal('whoami'), secret }).strict(),
  z.object({ op: z.literal('list'), secret }).strict(),
  z.object({ op: z.literal('peers'), secret, ping: z.boolean().optional() }).strict(),
  /** This node's own load now: what `p2pfaas top` asks every node once a redraw. */
  z.object({ op: z.literal('load'), secret }).strict(),
  z.object({
    op: z.literal('deploy'),
    secret,
    /** A faas-cli stack.yml, parsed by the node. */
    stack: z.string().max(MAX_STACK_BYTES).optional(),
    /** OpenFaaS deploy bodies, as POST /system/functions takes them. */
    functions: z.array(z.unknown()).min(1).max(64).optional()
  }).strict().refine(r => (r.stack == null) !== (r.functions == null), 'a deploy carries either stack or functions'),
  z.object({ op: z.literal('remove'), secret, name }).strict(),
  /** What the dashboard of another node needs: links, counts per second, recent calls, since cursors. */
  z.object({ op: z.literal('observe'), secret, sinceT: z.number().int().min(0).optional(), sinceSeq: z.number().int().min(0).optional() }).strict()
])
export type ManageRequest = z.infer<typeof ManageRequestSchema>

/** Operations that change the node: they need a trusted identity or the admin secret. */
export const PRIVILEGED_OPS: ReadonlySet<ManageRequest['op']> = new Set(['deploy', 'remove'])

/** Reads that reveal the mesh: with --private-reads they need what changes need, or a member asking. */
export const PRIVATE_READ_OPS: ReadonlySet<ManageRequest['op']> = new Set(['list', 'peers', 'load', 'observe'])

// The results are described once, as the schemas the client checks them with (results.ts).
export type FunctionLoadView = z.infer<typeof FunctionLoadViewSchema>
export type LocalFunction = z.infer<typeof LocalFunctionSchema>
export type PeerView = z.infer<typeof PeerViewSchema>
export type NodeSelf = z.infer<typeof NodeSelfSchema>

export interface ObserveResult {
  node: string
  /** This node's overlay neighbours. */
  neighbours: string[]
  seconds: Array<{ t: number, functions: ObservedFunctionSecond[] }>
  calls: CallRecord[]
}

type CheckedResults = { [Op in Exclude<keyof typeof RESULT_SCHEMAS, 'observe'>]: z.infer<(typeof RESULT_SCHEMAS)[Op]> }

/** `observe` keeps the recorder's own (narrower) types; its schema checks the same shape. */
export interface ManageResults extends CheckedResults {
  observe: ObserveResult
}

export type ManageResponse<Op extends keyof ManageResults = keyof ManageResults> =
  | { ok: true, result: ManageResults[Op] }
  /** Codes: BAD_REQUEST, UNAUTHORIZED, THROTTLED, FUNCTION_NOT_FOUND, and the runtime's deploy codes. */
  | { ok: false, code: string, message: string, deployed?: string[] }

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })

export const encodeJson = (value: unknown): Uint8Array => encoder.encode(JSON.stringify(value))
export const decodeJson = (bytes: Uint8Array): unknown => JSON.parse(decoder.decode(bytes))
