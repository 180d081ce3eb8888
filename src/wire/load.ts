import { decodeMessage, encodeMessage, MaxLengthError, message, streamMessage } from 'protons-runtime'
import { alloc as uint8ArrayAlloc } from 'uint8arrays/alloc'
import type { Codec, DecodeOptions } from 'protons-runtime'
import type { Uint8ArrayList } from 'uint8arraylist'

export interface FunctionLoad {
  name: string
  queued: number
  running: number
  capacity: number
}

export namespace FunctionLoad {
  let _codec: Codec<FunctionLoad>

  export const codec = (): Codec<FunctionLoad> => {
    if (_codec == null) {
      _codec = message<FunctionLoad>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.name != null && obj.name !== '')) {
          w.uint32(10)
          w.string(obj.name)
        }

        if ((obj.queued != null && obj.queued !== 0)) {
          w.uint32(16)
          w.uint32(obj.queued)
        }

        if ((obj.running != null && obj.running !== 0)) {
          w.uint32(24)
          w.uint32(obj.running)
        }

        if ((obj.capacity != null && obj.capacity !== 0)) {
          w.uint32(32)
          w.uint32(obj.capacity)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          name: '',
          queued: 0,
          running: 0,
          capacity: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.name = reader.string()
              break
            }
            case 2: {
              obj.queued = reader.uint32()
              break
            }
            case 3: {
              obj.running = reader.uint32()
              break
            }
            case 4: {
              obj.capacity = reader.uint32()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.name`,
                value: reader.string()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.queued`,
                value: reader.uint32()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.running`,
                value: reader.uint32()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.capacity`,
                value: reader.uint32()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface FunctionLoadNameFieldEvent {
    field: '$.name'
    value: string
  }

  export interface FunctionLoadQueuedFieldEvent {
    field: '$.queued'
    value: number
  }

  export interface FunctionLoadRunningFieldEvent {
    field: '$.running'
    value: number
  }

  export interface FunctionLoadCapacityFieldEvent {
    field: '$.capacity'
    value: number
  }

  export function encode (obj: Partial<FunctionLoad>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, FunctionLoad.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<FunctionLoad>): FunctionLoad {
    return decodeMessage(buf, FunctionLoad.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<FunctionLoad>): Generator<FunctionLoadNameFieldEvent | FunctionLoadQueuedFieldEvent | FunctionLoadRunningFieldEvent | FunctionLoadCapacityFieldEvent> {
    return streamMessage(buf, FunctionLoad.codec(), opts)
  }
}

export interface LoadTotals {
  queued: number
  running: number
  capacity: number
}

export namespace LoadTotals {
  let _codec: Codec<LoadTotals>

  export const codec = (): Codec<LoadTotals> => {
    if (_codec == null) {
      _codec = message<LoadTotals>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.queued != null && obj.queued !== 0)) {
          w.uint32(8)
          w.uint32(obj.queued)
        }

        if ((obj.running != null && obj.running !== 0)) {
          w.uint32(16)
          w.uint32(obj.running)
        }

        if ((obj.capacity != null && obj.capacity !== 0)) {
          w.uint32(24)
          w.uint32(obj.capacity)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          queued: 0,
          running: 0,
          capacity: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.queued = reader.uint32()
              break
            }
            case 2: {
              obj.running = reader.uint32()
              break
            }
            case 3: {
              obj.capacity = reader.uint32()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.queued`,
                value: reader.uint32()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.running`,
                value: reader.uint32()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.capacity`,
                value: reader.uint32()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface LoadTotalsQueuedFieldEvent {
    field: '$.queued'
    value: number
  }

  export interface LoadTotalsRunningFieldEvent {
    field: '$.running'
    value: number
  }

  export interface LoadTotalsCapacityFieldEvent {
    field: '$.capacity'
    value: number
  }

  export function encode (obj: Partial<LoadTotals>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, LoadTotals.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<LoadTotals>): LoadTotals {
    return decodeMessage(buf, LoadTotals.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<LoadTotals>): Generator<LoadTotalsQueuedFieldEvent | LoadTotalsRunningFieldEvent | LoadTotalsCapacityFieldEvent> {
    return streamMessage(buf, LoadTotals.codec(), opts)
  }
}

export interface LoadMessage {
  version: number
  nodeId: Uint8Array<ArrayBuffer>
  incarnation: bigint
  seq: bigint
  timeMs: bigint
  functions: FunctionLoad[]
  totals?: LoadTotals
}

export namespace LoadMessage {
  let _codec: Codec<LoadMessage>

  export const codec = (): Codec<LoadMessage> => {
    if (_codec == null) {
      _codec = message<LoadMessage>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.version != null && obj.version !== 0)) {
          w.uint32(8)
          w.uint32(obj.version)
        }

        if ((obj.nodeId != null && obj.nodeId.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.nodeId)
        }

        if ((obj.incarnation != null && obj.incarnation !== 0n)) {
          w.uint32(24)
          w.uint64(obj.incarnation)
        }

        if ((obj.seq != null && obj.seq !== 0n)) {
          w.uint32(32)
          w.uint64(obj.seq)
        }

        if ((obj.timeMs != null && obj.timeMs !== 0n)) {
          w.uint32(40)
          w.uint64(obj.timeMs)
        }

        if (obj.functions != null && obj.functions.length > 0) {
          for (const value of obj.functions) {
            w.uint32(50)
            FunctionLoad.codec().encode(value, w)
          }
        }

        if (obj.totals != null) {
          w.uint32(58)
          LoadTotals.codec().encode(obj.totals, w)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          version: 0,
          nodeId: uint8ArrayAlloc(0),
          incarnation: 0n,
          seq: 0n,
          timeMs: 0n,
          functions: []
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.version = reader.uint32()
              break
            }
            case 2: {
              obj.nodeId = reader.bytes()
              break
            }
            case 3: {
              obj.incarnation = reader.uint64()
              break
            }
            case 4: {
              obj.seq = reader.uint64()
              break
            }
            case 5: {
              obj.timeMs = reader.uint64()
              break
            }
            case 6: {
              if (opts.limits?.functions != null && obj.functions.length === opts.limits.functions) {
                throw new MaxLengthError('Decode error - repeated field "functions" had too many elements')
              }

              if (obj.functions.length === 256) {
                throw new MaxLengthError('Decode error - repeated field "functions" had too many elements')
              }

              obj.functions.push(FunctionLoad.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.functions$
              }))
              break
            }
            case 7: {
              obj.totals = LoadTotals.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.totals
              })
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const obj = {
          functions: 256
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.version`,
                value: reader.uint32()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.nodeId`,
                value: reader.bytes()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.incarnation`,
                value: reader.uint64()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.seq`,
                value: reader.uint64()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.timeMs`,
                value: reader.uint64()
              }
              break
            }
            case 6: {
              if (opts.limits?.functions != null && obj.functions === opts.limits.functions) {
                throw new MaxLengthError('Streaming decode error - repeated field "functions" had too many elements')
              }

              if (obj.functions === 256) {
                throw new MaxLengthError('Streaming decode error - repeated field "functions" had too many elements')
              }

              for (const evt of FunctionLoad.codec().stream(reader, reader.uint32(), `${prefix}.functions[]`, {
                limits: opts.limits?.functions$
              })) {
                yield {
                  ...evt,
                  index: obj.functions
                }
              }

              obj.functions++

              break
            }
            case 7: {
              yield * LoadTotals.codec().stream(reader, reader.uint32(), `${prefix}.totals`, {
                limits: opts.limits?.totals
              })

              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface LoadMessageVersionFieldEvent {
    field: '$.version'
    value: number
  }

  export interface LoadMessageNodeIdFieldEvent {
    field: '$.nodeId'
    value: Uint8Array<ArrayBuffer>
  }

  export interface LoadMessageIncarnationFieldEvent {
    field: '$.incarnation'
    value: bigint
  }

  export interface LoadMessageSeqFieldEvent {
    field: '$.seq'
    value: bigint
  }

  export interface LoadMessageTimeMsFieldEvent {
    field: '$.timeMs'
    value: bigint
  }

  export interface LoadMessageFunctionsNameFieldEvent {
    field: '$.functions[].name'
    value: string
    index: number
  }

  export interface LoadMessageFunctionsQueuedFieldEvent {
    field: '$.functions[].queued'
    value: number
    index: number
  }

  export interface LoadMessageFunctionsRunningFieldEvent {
    field: '$.functions[].running'
    value: number
    index: number
  }

  export interface LoadMessageFunctionsCapacityFieldEvent {
    field: '$.functions[].capacity'
    value: number
    index: number
  }

  export interface LoadMessageTotalsQueuedFieldEvent {
    field: '$.totals.queued'
    value: number
  }

  export interface LoadMessageTotalsRunningFieldEvent {
    field: '$.totals.running'
    value: number
  }

  export interface LoadMessageTotalsCapacityFieldEvent {
    field: '$.totals.capacity'
    value: number
  }

  export function encode (obj: Partial<LoadMessage>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, LoadMessage.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<LoadMessage>): LoadMessage {
    return decodeMessage(buf, LoadMessage.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<LoadMessage>): Generator<LoadMessageVersionFieldEvent | LoadMessageNodeIdFieldEvent | LoadMessageIncarnationFieldEvent | LoadMessageSeqFieldEvent | LoadMessageTimeMsFieldEvent | LoadMessageFunctionsNameFieldEvent | LoadMessageFunctionsQueuedFieldEvent | LoadMessageFunctionsRunningFieldEvent | LoadMessageFunctionsCapacityFieldEvent | LoadMessageTotalsQueuedFieldEvent | LoadMessageTotalsRunningFieldEvent | LoadMessageTotalsCapacityFieldEvent> {
    return streamMessage(buf, LoadMessage.codec(), opts)
  }
}
