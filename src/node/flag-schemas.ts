/**
 * The checks the node's flags share (addresses, durations, counts, limits, rates), each a zod schema
 * of the raw text that names its flag in every message and gives an example of a good value.
 */
import { multiaddr } from '@multiformats/multiaddr'
import { peerIdFromString } from '@libp2p/peer-id'
import * as z from 'zod'
import type { Parsed } from '../functions/quantities.js'

const isPeerId = (s: string): boolean => { try { peerIdFromString(s); return true } catch { return false } }

export const tcpMultiaddr = (flag: string) => z.string().max(512).transform((s, ctx) => {
  try {
    const ma = multiaddr(s)
    if (!ma.getComponents().some(c => c.name === 'tcp')) throw new Error('no /tcp/ port')
    return ma
  } catch (err: any) {
    ctx.addIssue({ code: 'custom', message: `${flag}: "${s}" is not a TCP multiaddr (${err.message}); e.g. /ip4/192.168.1.10/tcp/4001` })
    return z.NEVER
  }
})

export const hostPort = (flag: string) => z.string().max(300).transform((s, ctx) => {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(s)
  const port = m == null ? NaN : Number(m[3])
  if (m == null || port > 65535) {
    ctx.addIssue({ code: 'custom', message: `${flag}: "${s}" is not host:port; e.g. 0.0.0.0:18080 or 127.0.0.1:0` })
    return z.NEVER
  }
  return { host: m[1] ?? (m[2] === '' ? '0.0.0.0' : m[2]!), port }
})

export const ms = (flag: string, min: number, max: number) => z.string().regex(/^\d+$/, `${flag} takes a whole number of milliseconds`)
  .transform(Number).pipe(z.number().int().min(min, `${flag} must be at least ${min} ms`).max(max, `${flag} must be at most ${max} ms`))

export const count = (flag: string, min: number, max: number) => z.string().regex(/^\d+$/, `${flag} takes a whole number`)
  .transform(Number).pipe(z.number().int().min(min, `${flag} must be at least ${min}`).max(max, `${flag} must be at most ${max}`))

/** A quantity as function specs write it ("256Mi", "500m"), or 0 for none. */
export const limit = (flag: string, parse: (s: string) => Parsed<number>, example: string) => z.string().max(64).transform((s, ctx) => {
  if (/^0+(\.0*)?$/.test(s.trim())) return undefined
  const r = parse(s)
  if (r.ok) return r.value
  ctx.addIssue({ code: 'custom', message: `${flag} ${r.message}, or 0 for no limit; e.g. ${example}` })
  return z.NEVER
})

export const perSecond = (flag: string) => z.string().trim()
  .regex(/^\d{1,7}(\.\d+)?$/, `${flag} takes a number per second, 0 for no limit`).transform(Number)

export const perSecondOrAuto = (flag: string) => z.string().trim()
  .regex(/^(auto|\d{1,7}(\.\d+)?)$/, `${flag} takes a number per second or auto, 0 for no limit`)
  .transform(s => s === 'auto' ? 'auto' as const : Number(s))

export const peerId = (flag: string) => z.string().max(128).superRefine((s, ctx) => {
  if (!isPeerId(s)) ctx.addIssue({ code: 'custom', message: `${flag}: "${s}" is not a PeerId (\`p2pfaas id\` prints the CLI's)` })
})

/** A file or directory the node reads or writes. */
export const filePath = () => z.string().min(1).max(4096)
