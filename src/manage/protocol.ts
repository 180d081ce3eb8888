import * as z from 'zod'
import { MAX_STACK_BYTES } from '../functions/stack.js'
import type { ManageRequest } from './request.js'
import type { FunctionLoadViewSchema, LocalFunctionSchema, NodeSelfSchema, PeerViewSchema, RESULT_SCHEMAS } from './results.js'

/** Spec: protocols/manage.md. One request frame, one response frame, per stream. */
export const MANAGE_PROTOCOL = '/p2pfaas/manage/1.0.0'
/** A stack.yml at its largest, with room for the envelope. */
export const MAX_REQUEST_BYTES = MAX_STACK_BYTES + 64 * 1024
export const MAX_RESPONSE_BYTES = 4 * 1024 * 1024
/** Requests open at once per connection. */
export const MAX_STREAMS = 16
/** A peer must send its request within this (ms). */
export const READ_TIMEOUT_MS = 10_000

export { ManageRequestSchema, type ManageRequest } from './request.js'

/** Operations that change the node: they need a trusted identity or the admin secret. */
export const PRIVILEGED_OPS: ReadonlySet<ManageRequest['op']> = new Set(['deploy', 'remove'])

/** Reads that reveal the mesh: with --private-reads they need what changes need, or a member asking. */
export const PRIVATE_READ_OPS: ReadonlySet<ManageRequest['op']> = new Set(['list', 'peers', 'load'])

// The results are described once, as the schemas the client checks them with (results.ts).
export type FunctionLoadView = z.infer<typeof FunctionLoadViewSchema>
export type LocalFunction = z.infer<typeof LocalFunctionSchema>
export type PeerView = z.infer<typeof PeerViewSchema>
export type NodeSelf = z.infer<typeof NodeSelfSchema>

/** Every op's result, as its schema in results.ts checks it. */
export type ManageResults = { [Op in keyof typeof RESULT_SCHEMAS]: z.infer<(typeof RESULT_SCHEMAS)[Op]> }

export type ManageResponse<Op extends keyof ManageResults = keyof ManageResults> =
  | { ok: true, result: ManageResults[Op] }
  /** Codes: BAD_REQUEST, UNAUTHORIZED, THROTTLED, FUNCTION_NOT_FOUND, and the runtime's deploy codes. */
  | { ok: false, code: string, message: string, deployed?: string[] }

export { decodeJson, encodeJson } from '../json-frame.js'
