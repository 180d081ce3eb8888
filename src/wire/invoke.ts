import { decodeMessage, encodeMessage, MaxLengthError, message, streamMessage } from 'protons-runtime'
import { alloc as uint8ArrayAlloc } from 'uint8arrays/alloc'
import type { Codec, DecodeOptions } from 'protons-runtime'
import type { Uint8ArrayList } from 'uint8arraylist'

export interface Header {
  name: string
  value: string
}

export namespace Header {
  let _codec: Codec<Header>

  export const codec = (): Codec<Header> => {
    if (_codec == null) {
      _codec = message<Header>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.name != null && obj.name !== '')) {
          w.uint32(10)
          w.string(obj.name)
        }

        if ((obj.value != null && obj.value !== '')) {
          w.uint32(18)
          w.string(obj.value)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          name: '',
          value: ''
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
              obj.value = reader.string()
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
                field: `${prefix}.value`,
                value: reader.string()
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

  export interface HeaderNameFieldEvent {
    field: '$.name'
    value: string
  }

  export interface HeaderValueFieldEvent {
    field: '$.value'
    value: string
  }

  export function encode (obj: Partial<Header>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Header.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Header>): Header {
    return decodeMessage(buf, Header.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Header>): Generator<HeaderNameFieldEvent | HeaderValueFieldEvent> {
    return streamMessage(buf, Header.codec(), opts)
  }
}

export interface InvokeRequest {
  callId: string
  function: string
  method: string
  path: string
  query: string
  headers: Header[]
  body: Uint8Array<ArrayBuffer>
  hops: number
  visited: Uint8Array<ArrayBuffer>[]
  budgetMs: number
  idempotent: boolean
  fromClient: boolean
}

export namespace InvokeRequest {
  let _codec: Codec<InvokeRequest>

  export const codec = (): Codec<InvokeRequest> => {
    if (_codec == null) {
      _codec = message<InvokeRequest>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.callId != null && obj.callId !== '')) {
          w.uint32(10)
          w.string(obj.callId)
        }

        if ((obj.function != null && obj.function !== '')) {
          w.uint32(18)
          w.string(obj.function)
        }

        if ((obj.method != null && obj.method !== '')) {
          w.uint32(26)
          w.string(obj.method)
        }

        if ((obj.path != null && obj.path !== '')) {
          w.uint32(34)
          w.string(obj.path)
        }

        if ((obj.query != null && obj.query !== '')) {
          w.uint32(42)
          w.string(obj.query)
        }

        if (obj.headers != null && obj.headers.length > 0) {
          for (const value of obj.headers) {
            w.uint32(50)
            Header.codec().encode(value, w)
          }
        }

        if ((obj.body != null && obj.body.byteLength > 0)) {
          w.uint32(58)
          w.bytes(obj.body)
        }

        if ((obj.hops != null && obj.hops !== 0)) {
          w.uint32(64)
          w.uint32(obj.hops)
        }

        if (obj.visited != null && obj.visited.length > 0) {
          for (const value of obj.visited) {
            w.uint32(74)
            w.bytes(value)
          }
        }

        if ((obj.budgetMs != null && obj.budgetMs !== 0)) {
          w.uint32(80)
          w.uint32(obj.budgetMs)
        }

        if ((obj.idempotent != null && obj.idempotent !== false)) {
          w.uint32(88)
          w.bool(obj.idempotent)
        }

        if ((obj.fromClient != null && obj.fromClient !== false)) {
          w.uint32(96)
          w.bool(obj.fromClient)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          callId: '',
          function: '',
          method: '',
          path: '',
          query: '',
          headers: [],
          body: uint8ArrayAlloc(0),
          hops: 0,
          visited: [],
          budgetMs: 0,
          idempotent: false,
          fromClient: false
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.callId = reader.string()
              break
            }
            case 2: {
              obj.function = reader.string()
              break
            }
            case 3: {
              obj.method = reader.string()
              break
            }
            case 4: {
              obj.path = reader.string()
              break
            }
            case 5: {
              obj.query = reader.string()
              break
            }
            case 6: {
              if (opts.limits?.headers != null && obj.headers.length === opts.limits.headers) {
                throw new MaxLengthError('Decode error - repeated field "headers" had too many elements')
              }

              if (obj.headers.length === 256) {
                throw new MaxLengthError('Decode error - repeated field "headers" had too many elements')
              }

              obj.headers.push(Header.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.headers$
              }))
              break
            }
            case 7: {
              obj.body = reader.bytes()
              break
            }
            case 8: {
              obj.hops = reader.uint32()
              break
            }
            case 9: {
              if (opts.limits?.visited != null && obj.visited.length === opts.limits.visited) {
                throw new MaxLengthError('Decode error - repeated field "visited" had too many elements')
              }

              if (obj.visited.length === 16) {
                throw new MaxLengthError('Decode error - repeated field "visited" had too many elements')
              }

              obj.visited.push(reader.bytes())
              break
            }
            case 10: {
              obj.budgetMs = reader.uint32()
              break
            }
            case 11: {
              obj.idempotent = reader.bool()
              break
            }
            case 12: {
              obj.fromClient = reader.bool()
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
          headers: 256,
          visited: 16
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.callId`,
                value: reader.string()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.function`,
                value: reader.string()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.method`,
                value: reader.string()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.path`,
                value: reader.string()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.query`,
                value: reader.string()
              }
              break
            }
            case 6: {
              if (opts.limits?.headers != null && obj.headers === opts.limits.headers) {
                throw new MaxLengthError('Streaming decode error - repeated field "headers" had too many elements')
              }

              if (obj.headers === 256) {
                throw new MaxLengthError('Streaming decode error - repeated field "headers" had too many elements')
              }

              for (const evt of Header.codec().stream(reader, reader.uint32(), `${prefix}.headers[]`, {
                limits: opts.limits?.headers$
              })) {
                yield {
                  ...evt,
                  index: obj.headers
                }
              }

              obj.headers++

              break
            }
            case 7: {
              yield {
                field: `${prefix}.body`,
                value: reader.bytes()
              }
              break
            }
            case 8: {
              yield {
                field: `${prefix}.hops`,
                value: reader.uint32()
              }
              break
            }
            case 9: {
              if (opts.limits?.visited != null && obj.visited === opts.limits.visited) {
                throw new MaxLengthError('Streaming decode error - repeated field "visited" had too many elements')
              }

              if (obj.visited === 16) {
                throw new MaxLengthError('Streaming decode error - repeated field "visited" had too many elements')
              }

              yield {
                field: `${prefix}.visited[]`,
                index: obj.visited,
                value: reader.bytes()
              }

              obj.visited++

              break
            }
            case 10: {
              yield {
                field: `${prefix}.budgetMs`,
                value: reader.uint32()
              }
              break
            }
            case 11: {
              yield {
                field: `${prefix}.idempotent`,
                value: reader.bool()
              }
              break
            }
            case 12: {
              yield {
                field: `${prefix}.fromClient`,
                value: reader.bool()
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

  export interface InvokeRequestCallIdFieldEvent {
    field: '$.callId'
    value: string
  }

  export interface InvokeRequestFunctionFieldEvent {
    field: '$.function'
    value: string
  }

  export interface InvokeRequestMethodFieldEvent {
    field: '$.method'
    value: string
  }

  export interface InvokeRequestPathFieldEvent {
    field: '$.path'
    value: string
  }

  export interface InvokeRequestQueryFieldEvent {
    field: '$.query'
    value: string
  }

  export interface InvokeRequestHeadersNameFieldEvent {
    field: '$.headers[].name'
    value: string
    index: number
  }

  export interface InvokeRequestHeadersValueFieldEvent {
    field: '$.headers[].value'
    value: string
    index: number
  }

  export interface InvokeRequestBodyFieldEvent {
    field: '$.body'
    value: Uint8Array<ArrayBuffer>
  }

  export interface InvokeRequestHopsFieldEvent {
    field: '$.hops'
    value: number
  }

  export interface InvokeRequestVisitedFieldEvent {
    field: '$.visited[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export interface InvokeRequestBudgetMsFieldEvent {
    field: '$.budgetMs'
    value: number
  }

  export interface InvokeRequestIdempotentFieldEvent {
    field: '$.idempotent'
    value: boolean
  }

  export interface InvokeRequestFromClientFieldEvent {
    field: '$.fromClient'
    value: boolean
  }

  export function encode (obj: Partial<InvokeRequest>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, InvokeRequest.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<InvokeRequest>): InvokeRequest {
    return decodeMessage(buf, InvokeRequest.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<InvokeRequest>): Generator<InvokeRequestCallIdFieldEvent | InvokeRequestFunctionFieldEvent | InvokeRequestMethodFieldEvent | InvokeRequestPathFieldEvent | InvokeRequestQueryFieldEvent | InvokeRequestHeadersNameFieldEvent | InvokeRequestHeadersValueFieldEvent | InvokeRequestBodyFieldEvent | InvokeRequestHopsFieldEvent | InvokeRequestVisitedFieldEvent | InvokeRequestBudgetMsFieldEvent | InvokeRequestIdempotentFieldEvent | InvokeRequestFromClientFieldEvent> {
    return streamMessage(buf, InvokeRequest.codec(), opts)
  }
}

export interface PeerFunctionLoad {
  queued: number
  running: number
  capacity: number
}

export namespace PeerFunctionLoad {
  let _codec: Codec<PeerFunctionLoad>

  export const codec = (): Codec<PeerFunctionLoad> => {
    if (_codec == null) {
      _codec = message<PeerFunctionLoad>((obj, w, opts = {}) => {
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

  export interface PeerFunctionLoadQueuedFieldEvent {
    field: '$.queued'
    value: number
  }

  export interface PeerFunctionLoadRunningFieldEvent {
    field: '$.running'
    value: number
  }

  export interface PeerFunctionLoadCapacityFieldEvent {
    field: '$.capacity'
    value: number
  }

  export function encode (obj: Partial<PeerFunctionLoad>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, PeerFunctionLoad.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<PeerFunctionLoad>): PeerFunctionLoad {
    return decodeMessage(buf, PeerFunctionLoad.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<PeerFunctionLoad>): Generator<PeerFunctionLoadQueuedFieldEvent | PeerFunctionLoadRunningFieldEvent | PeerFunctionLoadCapacityFieldEvent> {
    return streamMessage(buf, PeerFunctionLoad.codec(), opts)
  }
}

export interface Verdict {
  accepted: boolean
  code: string
  message: string
  load?: PeerFunctionLoad
}

export namespace Verdict {
  let _codec: Codec<Verdict>

  export const codec = (): Codec<Verdict> => {
    if (_codec == null) {
      _codec = message<Verdict>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.accepted != null && obj.accepted !== false)) {
          w.uint32(8)
          w.bool(obj.accepted)
        }

        if ((obj.code != null && obj.code !== '')) {
          w.uint32(18)
          w.string(obj.code)
        }

        if ((obj.message != null && obj.message !== '')) {
          w.uint32(26)
          w.string(obj.message)
        }

        if (obj.load != null) {
          w.uint32(34)
          PeerFunctionLoad.codec().encode(obj.load, w)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          accepted: false,
          code: '',
          message: ''
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.accepted = reader.bool()
              break
            }
            case 2: {
              obj.code = reader.string()
              break
            }
            case 3: {
              obj.message = reader.string()
              break
            }
            case 4: {
              obj.load = PeerFunctionLoad.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.load
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
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.accepted`,
                value: reader.bool()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.code`,
                value: reader.string()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.message`,
                value: reader.string()
              }
              break
            }
            case 4: {
              yield * PeerFunctionLoad.codec().stream(reader, reader.uint32(), `${prefix}.load`, {
                limits: opts.limits?.load
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

  export interface VerdictAcceptedFieldEvent {
    field: '$.accepted'
    value: boolean
  }

  export interface VerdictCodeFieldEvent {
    field: '$.code'
    value: string
  }

  export interface VerdictMessageFieldEvent {
    field: '$.message'
    value: string
  }

  export interface VerdictLoadQueuedFieldEvent {
    field: '$.load.queued'
    value: number
  }

  export interface VerdictLoadRunningFieldEvent {
    field: '$.load.running'
    value: number
  }

  export interface VerdictLoadCapacityFieldEvent {
    field: '$.load.capacity'
    value: number
  }

  export function encode (obj: Partial<Verdict>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Verdict.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Verdict>): Verdict {
    return decodeMessage(buf, Verdict.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Verdict>): Generator<VerdictAcceptedFieldEvent | VerdictCodeFieldEvent | VerdictMessageFieldEvent | VerdictLoadQueuedFieldEvent | VerdictLoadRunningFieldEvent | VerdictLoadCapacityFieldEvent> {
    return streamMessage(buf, Verdict.codec(), opts)
  }
}

export interface TraceEntry {
  peer: Uint8Array<ArrayBuffer>
  decision: string
  schedulingMs: number
  probingMs: number
  queueMs: number
  execMs: number
  totalMs: number
}

export namespace TraceEntry {
  let _codec: Codec<TraceEntry>

  export const codec = (): Codec<TraceEntry> => {
    if (_codec == null) {
      _codec = message<TraceEntry>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.peer != null && obj.peer.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.peer)
        }

        if ((obj.decision != null && obj.decision !== '')) {
          w.uint32(18)
          w.string(obj.decision)
        }

        if ((obj.schedulingMs != null && obj.schedulingMs !== 0)) {
          w.uint32(29)
          w.float(obj.schedulingMs)
        }

        if ((obj.probingMs != null && obj.probingMs !== 0)) {
          w.uint32(37)
          w.float(obj.probingMs)
        }

        if ((obj.queueMs != null && obj.queueMs !== 0)) {
          w.uint32(45)
          w.float(obj.queueMs)
        }

        if ((obj.execMs != null && obj.execMs !== 0)) {
          w.uint32(53)
          w.float(obj.execMs)
        }

        if ((obj.totalMs != null && obj.totalMs !== 0)) {
          w.uint32(61)
          w.float(obj.totalMs)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          peer: uint8ArrayAlloc(0),
          decision: '',
          schedulingMs: 0,
          probingMs: 0,
          queueMs: 0,
          execMs: 0,
          totalMs: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.peer = reader.bytes()
              break
            }
            case 2: {
              obj.decision = reader.string()
              break
            }
            case 3: {
              obj.schedulingMs = reader.float()
              break
            }
            case 4: {
              obj.probingMs = reader.float()
              break
            }
            case 5: {
              obj.queueMs = reader.float()
              break
            }
            case 6: {
              obj.execMs = reader.float()
              break
            }
            case 7: {
              obj.totalMs = reader.float()
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
                field: `${prefix}.peer`,
                value: reader.bytes()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.decision`,
                value: reader.string()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.schedulingMs`,
                value: reader.float()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.probingMs`,
                value: reader.float()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.queueMs`,
                value: reader.float()
              }
              break
            }
            case 6: {
              yield {
                field: `${prefix}.execMs`,
                value: reader.float()
              }
              break
            }
            case 7: {
              yield {
                field: `${prefix}.totalMs`,
                value: reader.float()
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

  export interface TraceEntryPeerFieldEvent {
    field: '$.peer'
    value: Uint8Array<ArrayBuffer>
  }

  export interface TraceEntryDecisionFieldEvent {
    field: '$.decision'
    value: string
  }

  export interface TraceEntrySchedulingMsFieldEvent {
    field: '$.schedulingMs'
    value: number
  }

  export interface TraceEntryProbingMsFieldEvent {
    field: '$.probingMs'
    value: number
  }

  export interface TraceEntryQueueMsFieldEvent {
    field: '$.queueMs'
    value: number
  }

  export interface TraceEntryExecMsFieldEvent {
    field: '$.execMs'
    value: number
  }

  export interface TraceEntryTotalMsFieldEvent {
    field: '$.totalMs'
    value: number
  }

  export function encode (obj: Partial<TraceEntry>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, TraceEntry.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<TraceEntry>): TraceEntry {
    return decodeMessage(buf, TraceEntry.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<TraceEntry>): Generator<TraceEntryPeerFieldEvent | TraceEntryDecisionFieldEvent | TraceEntrySchedulingMsFieldEvent | TraceEntryProbingMsFieldEvent | TraceEntryQueueMsFieldEvent | TraceEntryExecMsFieldEvent | TraceEntryTotalMsFieldEvent> {
    return streamMessage(buf, TraceEntry.codec(), opts)
  }
}

export interface InvokeResponse {
  status: number
  headers: Header[]
  body: Uint8Array<ArrayBuffer>
  trace: TraceEntry[]
  errorCode: string
  errorMessage: string
  load?: PeerFunctionLoad
}

export namespace InvokeResponse {
  let _codec: Codec<InvokeResponse>

  export const codec = (): Codec<InvokeResponse> => {
    if (_codec == null) {
      _codec = message<InvokeResponse>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.status != null && obj.status !== 0)) {
          w.uint32(8)
          w.uint32(obj.status)
        }

        if (obj.headers != null && obj.headers.length > 0) {
          for (const value of obj.headers) {
            w.uint32(18)
            Header.codec().encode(value, w)
          }
        }

        if ((obj.body != null && obj.body.byteLength > 0)) {
          w.uint32(26)
          w.bytes(obj.body)
        }

        if (obj.trace != null && obj.trace.length > 0) {
          for (const value of obj.trace) {
            w.uint32(34)
            TraceEntry.codec().encode(value, w)
          }
        }

        if ((obj.errorCode != null && obj.errorCode !== '')) {
          w.uint32(42)
          w.string(obj.errorCode)
        }

        if ((obj.errorMessage != null && obj.errorMessage !== '')) {
          w.uint32(50)
          w.string(obj.errorMessage)
        }

        if (obj.load != null) {
          w.uint32(58)
          PeerFunctionLoad.codec().encode(obj.load, w)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          status: 0,
          headers: [],
          body: uint8ArrayAlloc(0),
          trace: [],
          errorCode: '',
          errorMessage: ''
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.status = reader.uint32()
              break
            }
            case 2: {
              if (opts.limits?.headers != null && obj.headers.length === opts.limits.headers) {
                throw new MaxLengthError('Decode error - repeated field "headers" had too many elements')
              }

              if (obj.headers.length === 256) {
                throw new MaxLengthError('Decode error - repeated field "headers" had too many elements')
              }

              obj.headers.push(Header.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.headers$
              }))
              break
            }
            case 3: {
              obj.body = reader.bytes()
              break
            }
            case 4: {
              if (opts.limits?.trace != null && obj.trace.length === opts.limits.trace) {
                throw new MaxLengthError('Decode error - repeated field "trace" had too many elements')
              }

              if (obj.trace.length === 17) {
                throw new MaxLengthError('Decode error - repeated field "trace" had too many elements')
              }

              obj.trace.push(TraceEntry.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.trace$
              }))
              break
            }
            case 5: {
              obj.errorCode = reader.string()
              break
            }
            case 6: {
              obj.errorMessage = reader.string()
              break
            }
            case 7: {
              obj.load = PeerFunctionLoad.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.load
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
          headers: 256,
          trace: 17
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.status`,
                value: reader.uint32()
              }
              break
            }
            case 2: {
              if (opts.limits?.headers != null && obj.headers === opts.limits.headers) {
                throw new MaxLengthError('Streaming decode error - repeated field "headers" had too many elements')
              }

              if (obj.headers === 256) {
                throw new MaxLengthError('Streaming decode error - repeated field "headers" had too many elements')
              }

              for (const evt of Header.codec().stream(reader, reader.uint32(), `${prefix}.headers[]`, {
                limits: opts.limits?.headers$
              })) {
                yield {
                  ...evt,
                  index: obj.headers
                }
              }

              obj.headers++

              break
            }
            case 3: {
              yield {
                field: `${prefix}.body`,
                value: reader.bytes()
              }
              break
            }
            case 4: {
              if (opts.limits?.trace != null && obj.trace === opts.limits.trace) {
                throw new MaxLengthError('Streaming decode error - repeated field "trace" had too many elements')
              }

              if (obj.trace === 17) {
                throw new MaxLengthError('Streaming decode error - repeated field "trace" had too many elements')
              }

              for (const evt of TraceEntry.codec().stream(reader, reader.uint32(), `${prefix}.trace[]`, {
                limits: opts.limits?.trace$
              })) {
                yield {
                  ...evt,
                  index: obj.trace
                }
              }

              obj.trace++

              break
            }
            case 5: {
              yield {
                field: `${prefix}.errorCode`,
                value: reader.string()
              }
              break
            }
            case 6: {
              yield {
                field: `${prefix}.errorMessage`,
                value: reader.string()
              }
              break
            }
            case 7: {
              yield * PeerFunctionLoad.codec().stream(reader, reader.uint32(), `${prefix}.load`, {
                limits: opts.limits?.load
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

  export interface InvokeResponseStatusFieldEvent {
    field: '$.status'
    value: number
  }

  export interface InvokeResponseHeadersNameFieldEvent {
    field: '$.headers[].name'
    value: string
    index: number
  }

  export interface InvokeResponseHeadersValueFieldEvent {
    field: '$.headers[].value'
    value: string
    index: number
  }

  export interface InvokeResponseBodyFieldEvent {
    field: '$.body'
    value: Uint8Array<ArrayBuffer>
  }

  export interface InvokeResponseTracePeerFieldEvent {
    field: '$.trace[].peer'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface InvokeResponseTraceDecisionFieldEvent {
    field: '$.trace[].decision'
    value: string
    index: number
  }

  export interface InvokeResponseTraceSchedulingMsFieldEvent {
    field: '$.trace[].schedulingMs'
    value: number
    index: number
  }

  export interface InvokeResponseTraceProbingMsFieldEvent {
    field: '$.trace[].probingMs'
    value: number
    index: number
  }

  export interface InvokeResponseTraceQueueMsFieldEvent {
    field: '$.trace[].queueMs'
    value: number
    index: number
  }

  export interface InvokeResponseTraceExecMsFieldEvent {
    field: '$.trace[].execMs'
    value: number
    index: number
  }

  export interface InvokeResponseTraceTotalMsFieldEvent {
    field: '$.trace[].totalMs'
    value: number
    index: number
  }

  export interface InvokeResponseErrorCodeFieldEvent {
    field: '$.errorCode'
    value: string
  }

  export interface InvokeResponseErrorMessageFieldEvent {
    field: '$.errorMessage'
    value: string
  }

  export interface InvokeResponseLoadQueuedFieldEvent {
    field: '$.load.queued'
    value: number
  }

  export interface InvokeResponseLoadRunningFieldEvent {
    field: '$.load.running'
    value: number
  }

  export interface InvokeResponseLoadCapacityFieldEvent {
    field: '$.load.capacity'
    value: number
  }

  export function encode (obj: Partial<InvokeResponse>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, InvokeResponse.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<InvokeResponse>): InvokeResponse {
    return decodeMessage(buf, InvokeResponse.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<InvokeResponse>): Generator<InvokeResponseStatusFieldEvent | InvokeResponseHeadersNameFieldEvent | InvokeResponseHeadersValueFieldEvent | InvokeResponseBodyFieldEvent | InvokeResponseTracePeerFieldEvent | InvokeResponseTraceDecisionFieldEvent | InvokeResponseTraceSchedulingMsFieldEvent | InvokeResponseTraceProbingMsFieldEvent | InvokeResponseTraceQueueMsFieldEvent | InvokeResponseTraceExecMsFieldEvent | InvokeResponseTraceTotalMsFieldEvent | InvokeResponseErrorCodeFieldEvent | InvokeResponseErrorMessageFieldEvent | InvokeResponseLoadQueuedFieldEvent | InvokeResponseLoadRunningFieldEvent | InvokeResponseLoadCapacityFieldEvent> {
    return streamMessage(buf, InvokeResponse.codec(), opts)
  }
}

export interface InvokeFrame {
  verdict?: Verdict
  response?: InvokeResponse
}

export namespace InvokeFrame {
  let _codec: Codec<InvokeFrame>

  export const codec = (): Codec<InvokeFrame> => {
    if (_codec == null) {
      _codec = message<InvokeFrame>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.verdict != null) {
          w.uint32(10)
          Verdict.codec().encode(obj.verdict, w)
        }

        if (obj.response != null) {
          w.uint32(18)
          InvokeResponse.codec().encode(obj.response, w)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {}

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.verdict = Verdict.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.verdict
              })
              break
            }
            case 2: {
              obj.response = InvokeResponse.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.response
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
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield * Verdict.codec().stream(reader, reader.uint32(), `${prefix}.verdict`, {
                limits: opts.limits?.verdict
              })

              break
            }
            case 2: {
              yield * InvokeResponse.codec().stream(reader, reader.uint32(), `${prefix}.response`, {
                limits: opts.limits?.response
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

  export interface InvokeFrameVerdictAcceptedFieldEvent {
    field: '$.verdict.accepted'
    value: boolean
  }

  export interface InvokeFrameVerdictCodeFieldEvent {
    field: '$.verdict.code'
    value: string
  }

  export interface InvokeFrameVerdictMessageFieldEvent {
    field: '$.verdict.message'
    value: string
  }

  export interface InvokeFrameVerdictLoadQueuedFieldEvent {
    field: '$.verdict.load.queued'
    value: number
  }

  export interface InvokeFrameVerdictLoadRunningFieldEvent {
    field: '$.verdict.load.running'
    value: number
  }

  export interface InvokeFrameVerdictLoadCapacityFieldEvent {
    field: '$.verdict.load.capacity'
    value: number
  }

  export interface InvokeFrameResponseStatusFieldEvent {
    field: '$.response.status'
    value: number
  }

  export interface InvokeFrameResponseHeadersNameFieldEvent {
    field: '$.response.headers[].name'
    value: string
    index: number
  }

  export interface InvokeFrameResponseHeadersValueFieldEvent {
    field: '$.response.headers[].value'
    value: string
    index: number
  }

  export interface InvokeFrameResponseBodyFieldEvent {
    field: '$.response.body'
    value: Uint8Array<ArrayBuffer>
  }

  export interface InvokeFrameResponseTracePeerFieldEvent {
    field: '$.response.trace[].peer'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface InvokeFrameResponseTraceDecisionFieldEvent {
    field: '$.response.trace[].decision'
    value: string
    index: number
  }

  export interface InvokeFrameResponseTraceSchedulingMsFieldEvent {
    field: '$.response.trace[].schedulingMs'
    value: number
    index: number
  }

  export interface InvokeFrameResponseTraceProbingMsFieldEvent {
    field: '$.response.trace[].probingMs'
    value: number
    index: number
  }

  export interface InvokeFrameResponseTraceQueueMsFieldEvent {
    field: '$.response.trace[].queueMs'
    value: number
    index: number
  }

  export interface InvokeFrameResponseTraceExecMsFieldEvent {
    field: '$.response.trace[].execMs'
    value: number
    index: number
  }

  export interface InvokeFrameResponseTraceTotalMsFieldEvent {
    field: '$.response.trace[].totalMs'
    value: number
    index: number
  }

  export interface InvokeFrameResponseErrorCodeFieldEvent {
    field: '$.response.errorCode'
    value: string
  }

  export interface InvokeFrameResponseErrorMessageFieldEvent {
    field: '$.response.errorMessage'
    value: string
  }

  export interface InvokeFrameResponseLoadQueuedFieldEvent {
    field: '$.response.load.queued'
    value: number
  }

  export interface InvokeFrameResponseLoadRunningFieldEvent {
    field: '$.response.load.running'
    value: number
  }

  export interface InvokeFrameResponseLoadCapacityFieldEvent {
    field: '$.response.load.capacity'
    value: number
  }

  export function encode (obj: Partial<InvokeFrame>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, InvokeFrame.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<InvokeFrame>): InvokeFrame {
    return decodeMessage(buf, InvokeFrame.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<InvokeFrame>): Generator<InvokeFrameVerdictAcceptedFieldEvent | InvokeFrameVerdictCodeFieldEvent | InvokeFrameVerdictMessageFieldEvent | InvokeFrameVerdictLoadQueuedFieldEvent | InvokeFrameVerdictLoadRunningFieldEvent | InvokeFrameVerdictLoadCapacityFieldEvent | InvokeFrameResponseStatusFieldEvent | InvokeFrameResponseHeadersNameFieldEvent | InvokeFrameResponseHeadersValueFieldEvent | InvokeFrameResponseBodyFieldEvent | InvokeFrameResponseTracePeerFieldEvent | InvokeFrameResponseTraceDecisionFieldEvent | InvokeFrameResponseTraceSchedulingMsFieldEvent | InvokeFrameResponseTraceProbingMsFieldEvent | InvokeFrameResponseTraceQueueMsFieldEvent | InvokeFrameResponseTraceExecMsFieldEvent | InvokeFrameResponseTraceTotalMsFieldEvent | InvokeFrameResponseErrorCodeFieldEvent | InvokeFrameResponseErrorMessageFieldEvent | InvokeFrameResponseLoadQueuedFieldEvent | InvokeFrameResponseLoadRunningFieldEvent | InvokeFrameResponseLoadCapacityFieldEvent> {
    return streamMessage(buf, InvokeFrame.codec(), opts)
  }
}

export interface LoadProbe {
  function: string
}

export namespace LoadProbe {
  let _codec: Codec<LoadProbe>

  export const codec = (): Codec<LoadProbe> => {
    if (_codec == null) {
      _codec = message<LoadProbe>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.function != null && obj.function !== '')) {
          w.uint32(10)
          w.string(obj.function)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          function: ''
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.function = reader.string()
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
                field: `${prefix}.function`,
                value: reader.string()
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

  export interface LoadProbeFunctionFieldEvent {
    field: '$.function'
    value: string
  }

  export function encode (obj: Partial<LoadProbe>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, LoadProbe.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<LoadProbe>): LoadProbe {
    return decodeMessage(buf, LoadProbe.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<LoadProbe>): Generator<LoadProbeFunctionFieldEvent> {
    return streamMessage(buf, LoadProbe.codec(), opts)
  }
}

export interface LoadProbeAnswer {
  deployed: boolean
  load?: PeerFunctionLoad
}

export namespace LoadProbeAnswer {
  let _codec: Codec<LoadProbeAnswer>

  export const codec = (): Codec<LoadProbeAnswer> => {
    if (_codec == null) {
      _codec = message<LoadProbeAnswer>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.deployed != null && obj.deployed !== false)) {
          w.uint32(8)
          w.bool(obj.deployed)
        }

        if (obj.load != null) {
          w.uint32(18)
          PeerFunctionLoad.codec().encode(obj.load, w)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          deployed: false
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.deployed = reader.bool()
              break
            }
            case 2: {
              obj.load = PeerFunctionLoad.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.load
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
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.deployed`,
                value: reader.bool()
              }
              break
            }
            case 2: {
              yield * PeerFunctionLoad.codec().stream(reader, reader.uint32(), `${prefix}.load`, {
                limits: opts.limits?.load
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

  export interface LoadProbeAnswerDeployedFieldEvent {
    field: '$.deployed'
    value: boolean
  }

  export interface LoadProbeAnswerLoadQueuedFieldEvent {
    field: '$.load.queued'
    value: number
  }

  export interface LoadProbeAnswerLoadRunningFieldEvent {
    field: '$.load.running'
    value: number
  }

  export interface LoadProbeAnswerLoadCapacityFieldEvent {
    field: '$.load.capacity'
    value: number
  }

  export function encode (obj: Partial<LoadProbeAnswer>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, LoadProbeAnswer.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<LoadProbeAnswer>): LoadProbeAnswer {
    return decodeMessage(buf, LoadProbeAnswer.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<LoadProbeAnswer>): Generator<LoadProbeAnswerDeployedFieldEvent | LoadProbeAnswerLoadQueuedFieldEvent | LoadProbeAnswerLoadRunningFieldEvent | LoadProbeAnswerLoadCapacityFieldEvent> {
    return streamMessage(buf, LoadProbeAnswer.codec(), opts)
  }
}
