import * as z from 'zod'
import { FUNCTION_NAME } from '../rules.js'
import { MAX_STACK_BYTES } from '../functions/stack.js'

/** The requests of the management protocol (protocols/manage.md), checked field by field. */
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
  z.object({ op: z.literal('remove'), secret, name }).strict()
])
export type ManageRequest = z.infer<typeof ManageRequestSchema>
