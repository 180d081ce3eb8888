/**
 * JSON frames of the management and observe protocols: UTF-8, strict on the way in (a frame that
 * is not UTF-8 is unreadable, not mangled). Length prefixing and size bounds are each protocol's.
 */
const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })

export const encodeJson = (value: unknown): Uint8Array => encoder.encode(JSON.stringify(value))
export const decodeJson = (bytes: Uint8Array): unknown => JSON.parse(decoder.decode(bytes))
