import { decodeMessage, encodeMessage, MaxLengthError, message, streamMessage } from 'protons-runtime'
import { alloc as uint8ArrayAlloc } from 'uint8arrays/alloc'
import type { Codec, DecodeOptions } from 'protons-runtime'
import type { Uint8ArrayList } from 'uint8arraylist'

export interface MemberRecord {
  peerId: Uint8Array<ArrayBuffer>
  incarnation: bigint
  seq: bigint
  addrs: Uint8Array<ArrayBuffer>[]
  functions: FunctionSlots[]
  links: Uint8Array<ArrayBuffer>[]
  leaving: boolean
}

export namespace MemberRecord {
  let _codec: Codec<MemberRecord>

  export const codec = (): Codec<MemberRecord> => {
    if (_codec == null) {
      _codec = message<MemberRecord>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.peerId != null && obj.peerId.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.peerId)
        }

        if ((obj.incarnation != null && obj.incarnation !== 0n)) {
          w.uint32(16)
          w.uint64(obj.incarnation)
        }

        if ((obj.seq != null && obj.seq !== 0n)) {
          w.uint32(24)
          w.uint64(obj.seq)
        }

        if (obj.addrs != null && obj.addrs.length > 0) {
          for (const value of obj.addrs) {
            w.uint32(34)
            w.bytes(value)
          }
        }

        if (obj.functions != null && obj.functions.length > 0) {
          for (const value of obj.functions) {
            w.uint32(42)
            FunctionSlots.codec().encode(value, w)
          }
        }

        if (obj.links != null && obj.links.length > 0) {
          for (const value of obj.links) {
            w.uint32(50)
            w.bytes(value)
          }
        }

        if ((obj.leaving != null && obj.leaving !== false)) {
          w.uint32(56)
          w.bool(obj.leaving)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          peerId: uint8ArrayAlloc(0),
          incarnation: 0n,
          seq: 0n,
          addrs: [],
          functions: [],
          links: [],
          leaving: false
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.peerId = reader.bytes()
              break
            }
            case 2: {
              obj.incarnation = reader.uint64()
              break
            }
            case 3: {
              obj.seq = reader.uint64()
              break
            }
            case 4: {
              if (opts.limits?.addrs != null && obj.addrs.length === opts.limits.addrs) {
                throw new MaxLengthError('Decode error - repeated field "addrs" had too many elements')
              }

              if (obj.addrs.length === 8) {
                throw new MaxLengthError('Decode error - repeated field "addrs" had too many elements')
              }

              obj.addrs.push(reader.bytes())
              break
            }
            case 5: {
              if (opts.limits?.functions != null && obj.functions.length === opts.limits.functions) {
                throw new MaxLengthError('Decode error - repeated field "functions" had too many elements')
              }

              if (obj.functions.length === 256) {
                throw new MaxLengthError('Decode error - repeated field "functions" had too many elements')
              }

              obj.functions.push(FunctionSlots.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.functions$
              }))
              break
            }
            case 6: {
              if (opts.limits?.links != null && obj.links.length === opts.limits.links) {
                throw new MaxLengthError('Decode error - repeated field "links" had too many elements')
              }

              if (obj.links.length === 32) {
                throw new MaxLengthError('Decode error - repeated field "links" had too many elements')
              }

              obj.links.push(reader.bytes())
              break
            }
            case 7: {
              obj.leaving = reader.bool()
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
          addrs: 8,
          functions: 256,
          links: 32
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.peerId`,
                value: reader.bytes()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.incarnation`,
                value: reader.uint64()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.seq`,
                value: reader.uint64()
              }
              break
            }
            case 4: {
              if (opts.limits?.addrs != null && obj.addrs === opts.limits.addrs) {
                throw new MaxLengthError('Streaming decode error - repeated field "addrs" had too many elements')
              }

              if (obj.addrs === 8) {
                throw new MaxLengthError('Streaming decode error - repeated field "addrs" had too many elements')
              }

              yield {
                field: `${prefix}.addrs[]`,
                index: obj.addrs,
                value: reader.bytes()
              }

              obj.addrs++

              break
            }
            case 5: {
              if (opts.limits?.functions != null && obj.functions === opts.limits.functions) {
                throw new MaxLengthError('Streaming decode error - repeated field "functions" had too many elements')
              }

              if (obj.functions === 256) {
                throw new MaxLengthError('Streaming decode error - repeated field "functions" had too many elements')
              }

              for (const evt of FunctionSlots.codec().stream(reader, reader.uint32(), `${prefix}.functions[]`, {
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
            case 6: {
              if (opts.limits?.links != null && obj.links === opts.limits.links) {
                throw new MaxLengthError('Streaming decode error - repeated field "links" had too many elements')
              }

              if (obj.links === 32) {
                throw new MaxLengthError('Streaming decode error - repeated field "links" had too many elements')
              }

              yield {
                field: `${prefix}.links[]`,
                index: obj.links,
                value: reader.bytes()
              }

              obj.links++

              break
            }
            case 7: {
              yield {
                field: `${prefix}.leaving`,
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

  export interface MemberRecordPeerIdFieldEvent {
    field: '$.peerId'
    value: Uint8Array<ArrayBuffer>
  }

  export interface MemberRecordIncarnationFieldEvent {
    field: '$.incarnation'
    value: bigint
  }

  export interface MemberRecordSeqFieldEvent {
    field: '$.seq'
    value: bigint
  }

  export interface MemberRecordAddrsFieldEvent {
    field: '$.addrs[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export interface MemberRecordFunctionsNameFieldEvent {
    field: '$.functions[].name'
    value: string
    index: number
  }

  export interface MemberRecordFunctionsCapacityFieldEvent {
    field: '$.functions[].capacity'
    value: number
    index: number
  }

  export interface MemberRecordLinksFieldEvent {
    field: '$.links[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export interface MemberRecordLeavingFieldEvent {
    field: '$.leaving'
    value: boolean
  }

  export function encode (obj: Partial<MemberRecord>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, MemberRecord.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<MemberRecord>): MemberRecord {
    return decodeMessage(buf, MemberRecord.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<MemberRecord>): Generator<MemberRecordPeerIdFieldEvent | MemberRecordIncarnationFieldEvent | MemberRecordSeqFieldEvent | MemberRecordAddrsFieldEvent | MemberRecordFunctionsNameFieldEvent | MemberRecordFunctionsCapacityFieldEvent | MemberRecordLinksFieldEvent | MemberRecordLeavingFieldEvent> {
    return streamMessage(buf, MemberRecord.codec(), opts)
  }
}

export interface FunctionSlots {
  name: string
  capacity: number
}

export namespace FunctionSlots {
  let _codec: Codec<FunctionSlots>

  export const codec = (): Codec<FunctionSlots> => {
    if (_codec == null) {
      _codec = message<FunctionSlots>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.name != null && obj.name !== '')) {
          w.uint32(10)
          w.string(obj.name)
        }

        if ((obj.capacity != null && obj.capacity !== 0)) {
          w.uint32(16)
          w.uint32(obj.capacity)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          name: '',
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

  export interface FunctionSlotsNameFieldEvent {
    field: '$.name'
    value: string
  }

  export interface FunctionSlotsCapacityFieldEvent {
    field: '$.capacity'
    value: number
  }

  export function encode (obj: Partial<FunctionSlots>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, FunctionSlots.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<FunctionSlots>): FunctionSlots {
    return decodeMessage(buf, FunctionSlots.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<FunctionSlots>): Generator<FunctionSlotsNameFieldEvent | FunctionSlotsCapacityFieldEvent> {
    return streamMessage(buf, FunctionSlots.codec(), opts)
  }
}

export interface Hello {
  record: Uint8Array<ArrayBuffer>
  link: boolean
  digest: bigint
}

export namespace Hello {
  let _codec: Codec<Hello>

  export const codec = (): Codec<Hello> => {
    if (_codec == null) {
      _codec = message<Hello>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.record != null && obj.record.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.record)
        }

        if ((obj.link != null && obj.link !== false)) {
          w.uint32(16)
          w.bool(obj.link)
        }

        if ((obj.digest != null && obj.digest !== 0n)) {
          w.uint32(25)
          w.fixed64(obj.digest)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          record: uint8ArrayAlloc(0),
          link: false,
          digest: 0n
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.record = reader.bytes()
              break
            }
            case 2: {
              obj.link = reader.bool()
              break
            }
            case 3: {
              obj.digest = reader.fixed64()
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
                field: `${prefix}.record`,
                value: reader.bytes()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.link`,
                value: reader.bool()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.digest`,
                value: reader.fixed64()
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

  export interface HelloRecordFieldEvent {
    field: '$.record'
    value: Uint8Array<ArrayBuffer>
  }

  export interface HelloLinkFieldEvent {
    field: '$.link'
    value: boolean
  }

  export interface HelloDigestFieldEvent {
    field: '$.digest'
    value: bigint
  }

  export function encode (obj: Partial<Hello>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Hello.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Hello>): Hello {
    return decodeMessage(buf, Hello.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Hello>): Generator<HelloRecordFieldEvent | HelloLinkFieldEvent | HelloDigestFieldEvent> {
    return streamMessage(buf, Hello.codec(), opts)
  }
}

export interface Pulse {
  ping: boolean
  digest: bigint
  load?: LoadUpdate
}

export namespace Pulse {
  let _codec: Codec<Pulse>

  export const codec = (): Codec<Pulse> => {
    if (_codec == null) {
      _codec = message<Pulse>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.ping != null && obj.ping !== false)) {
          w.uint32(8)
          w.bool(obj.ping)
        }

        if ((obj.digest != null && obj.digest !== 0n)) {
          w.uint32(17)
          w.fixed64(obj.digest)
        }

        if (obj.load != null) {
          w.uint32(26)
          LoadUpdate.codec().encode(obj.load, w)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          ping: false,
          digest: 0n
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.ping = reader.bool()
              break
            }
            case 2: {
              obj.digest = reader.fixed64()
              break
            }
            case 3: {
              obj.load = LoadUpdate.codec().decode(reader, reader.uint32(), {
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
                field: `${prefix}.ping`,
                value: reader.bool()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.digest`,
                value: reader.fixed64()
              }
              break
            }
            case 3: {
              yield * LoadUpdate.codec().stream(reader, reader.uint32(), `${prefix}.load`, {
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

  export interface PulsePingFieldEvent {
    field: '$.ping'
    value: boolean
  }

  export interface PulseDigestFieldEvent {
    field: '$.digest'
    value: bigint
  }

  export interface PulseLoadRecordSeqFieldEvent {
    field: '$.load.recordSeq'
    value: bigint
  }

  export interface PulseLoadRunningFieldEvent {
    field: '$.load.running[]'
    index: number
    value: number
  }

  export interface PulseLoadQueuedFieldEvent {
    field: '$.load.queued[]'
    index: number
    value: number
  }

  export function encode (obj: Partial<Pulse>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Pulse.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Pulse>): Pulse {
    return decodeMessage(buf, Pulse.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Pulse>): Generator<PulsePingFieldEvent | PulseDigestFieldEvent | PulseLoadRecordSeqFieldEvent | PulseLoadRunningFieldEvent | PulseLoadQueuedFieldEvent> {
    return streamMessage(buf, Pulse.codec(), opts)
  }
}

export interface LoadUpdate {
  recordSeq: bigint
  running: number[]
  queued: number[]
}

export namespace LoadUpdate {
  let _codec: Codec<LoadUpdate>

  export const codec = (): Codec<LoadUpdate> => {
    if (_codec == null) {
      _codec = message<LoadUpdate>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.recordSeq != null && obj.recordSeq !== 0n)) {
          w.uint32(8)
          w.uint64(obj.recordSeq)
        }

        if (obj.running != null && obj.running.length > 0) {
          for (const value of obj.running) {
            w.uint32(16)
            w.uint32(value)
          }
        }

        if (obj.queued != null && obj.queued.length > 0) {
          for (const value of obj.queued) {
            w.uint32(24)
            w.uint32(value)
          }
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          recordSeq: 0n,
          running: [],
          queued: []
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.recordSeq = reader.uint64()
              break
            }
            case 2: {
              if (opts.limits?.running != null && obj.running.length === opts.limits.running) {
                throw new MaxLengthError('Decode error - repeated field "running" had too many elements')
              }

              if (obj.running.length === 256) {
                throw new MaxLengthError('Decode error - repeated field "running" had too many elements')
              }

              obj.running.push(reader.uint32())
              break
            }
            case 3: {
              if (opts.limits?.queued != null && obj.queued.length === opts.limits.queued) {
                throw new MaxLengthError('Decode error - repeated field "queued" had too many elements')
              }

              if (obj.queued.length === 256) {
                throw new MaxLengthError('Decode error - repeated field "queued" had too many elements')
              }

              obj.queued.push(reader.uint32())
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
          running: 256,
          queued: 256
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.recordSeq`,
                value: reader.uint64()
              }
              break
            }
            case 2: {
              if (opts.limits?.running != null && obj.running === opts.limits.running) {
                throw new MaxLengthError('Streaming decode error - repeated field "running" had too many elements')
              }

              if (obj.running === 256) {
                throw new MaxLengthError('Streaming decode error - repeated field "running" had too many elements')
              }

              yield {
                field: `${prefix}.running[]`,
                index: obj.running,
                value: reader.uint32()
              }

              obj.running++

              break
            }
            case 3: {
              if (opts.limits?.queued != null && obj.queued === opts.limits.queued) {
                throw new MaxLengthError('Streaming decode error - repeated field "queued" had too many elements')
              }

              if (obj.queued === 256) {
                throw new MaxLengthError('Streaming decode error - repeated field "queued" had too many elements')
              }

              yield {
                field: `${prefix}.queued[]`,
                index: obj.queued,
                value: reader.uint32()
              }

              obj.queued++

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

  export interface LoadUpdateRecordSeqFieldEvent {
    field: '$.recordSeq'
    value: bigint
  }

  export interface LoadUpdateRunningFieldEvent {
    field: '$.running[]'
    index: number
    value: number
  }

  export interface LoadUpdateQueuedFieldEvent {
    field: '$.queued[]'
    index: number
    value: number
  }

  export function encode (obj: Partial<LoadUpdate>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, LoadUpdate.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<LoadUpdate>): LoadUpdate {
    return decodeMessage(buf, LoadUpdate.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<LoadUpdate>): Generator<LoadUpdateRecordSeqFieldEvent | LoadUpdateRunningFieldEvent | LoadUpdateQueuedFieldEvent> {
    return streamMessage(buf, LoadUpdate.codec(), opts)
  }
}

export interface DigestEntry {
  peerId: Uint8Array<ArrayBuffer>
  incarnation: bigint
  seq: bigint
}

export namespace DigestEntry {
  let _codec: Codec<DigestEntry>

  export const codec = (): Codec<DigestEntry> => {
    if (_codec == null) {
      _codec = message<DigestEntry>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.peerId != null && obj.peerId.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.peerId)
        }

        if ((obj.incarnation != null && obj.incarnation !== 0n)) {
          w.uint32(16)
          w.uint64(obj.incarnation)
        }

        if ((obj.seq != null && obj.seq !== 0n)) {
          w.uint32(24)
          w.uint64(obj.seq)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          peerId: uint8ArrayAlloc(0),
          incarnation: 0n,
          seq: 0n
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.peerId = reader.bytes()
              break
            }
            case 2: {
              obj.incarnation = reader.uint64()
              break
            }
            case 3: {
              obj.seq = reader.uint64()
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
                field: `${prefix}.peerId`,
                value: reader.bytes()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.incarnation`,
                value: reader.uint64()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.seq`,
                value: reader.uint64()
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

  export interface DigestEntryPeerIdFieldEvent {
    field: '$.peerId'
    value: Uint8Array<ArrayBuffer>
  }

  export interface DigestEntryIncarnationFieldEvent {
    field: '$.incarnation'
    value: bigint
  }

  export interface DigestEntrySeqFieldEvent {
    field: '$.seq'
    value: bigint
  }

  export function encode (obj: Partial<DigestEntry>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, DigestEntry.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<DigestEntry>): DigestEntry {
    return decodeMessage(buf, DigestEntry.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<DigestEntry>): Generator<DigestEntryPeerIdFieldEvent | DigestEntryIncarnationFieldEvent | DigestEntrySeqFieldEvent> {
    return streamMessage(buf, DigestEntry.codec(), opts)
  }
}

export interface LinkFrame {
  hello?: Hello
  pulse?: Pulse
  records: Uint8Array<ArrayBuffer>[]
  digest: DigestEntry[]
  want: Uint8Array<ArrayBuffer>[]
  synced: boolean
  have: DigestEntry[]
}

export namespace LinkFrame {
  let _codec: Codec<LinkFrame>

  export const codec = (): Codec<LinkFrame> => {
    if (_codec == null) {
      _codec = message<LinkFrame>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.hello != null) {
          w.uint32(10)
          Hello.codec().encode(obj.hello, w)
        }

        if (obj.pulse != null) {
          w.uint32(18)
          Pulse.codec().encode(obj.pulse, w)
        }

        if (obj.records != null && obj.records.length > 0) {
          for (const value of obj.records) {
            w.uint32(26)
            w.bytes(value)
          }
        }

        if (obj.digest != null && obj.digest.length > 0) {
          for (const value of obj.digest) {
            w.uint32(34)
            DigestEntry.codec().encode(value, w)
          }
        }

        if (obj.want != null && obj.want.length > 0) {
          for (const value of obj.want) {
            w.uint32(42)
            w.bytes(value)
          }
        }

        if ((obj.synced != null && obj.synced !== false)) {
          w.uint32(48)
          w.bool(obj.synced)
        }

        if (obj.have != null && obj.have.length > 0) {
          for (const value of obj.have) {
            w.uint32(58)
            DigestEntry.codec().encode(value, w)
          }
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          records: [],
          digest: [],
          want: [],
          synced: false,
          have: []
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.hello = Hello.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.hello
              })
              break
            }
            case 2: {
              obj.pulse = Pulse.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.pulse
              })
              break
            }
            case 3: {
              if (opts.limits?.records != null && obj.records.length === opts.limits.records) {
                throw new MaxLengthError('Decode error - repeated field "records" had too many elements')
              }

              if (obj.records.length === 64) {
                throw new MaxLengthError('Decode error - repeated field "records" had too many elements')
              }

              obj.records.push(reader.bytes())
              break
            }
            case 4: {
              if (opts.limits?.digest != null && obj.digest.length === opts.limits.digest) {
                throw new MaxLengthError('Decode error - repeated field "digest" had too many elements')
              }

              if (obj.digest.length === 4096) {
                throw new MaxLengthError('Decode error - repeated field "digest" had too many elements')
              }

              obj.digest.push(DigestEntry.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.digest$
              }))
              break
            }
            case 5: {
              if (opts.limits?.want != null && obj.want.length === opts.limits.want) {
                throw new MaxLengthError('Decode error - repeated field "want" had too many elements')
              }

              if (obj.want.length === 4096) {
                throw new MaxLengthError('Decode error - repeated field "want" had too many elements')
              }

              obj.want.push(reader.bytes())
              break
            }
            case 6: {
              obj.synced = reader.bool()
              break
            }
            case 7: {
              if (opts.limits?.have != null && obj.have.length === opts.limits.have) {
                throw new MaxLengthError('Decode error - repeated field "have" had too many elements')
              }

              if (obj.have.length === 4096) {
                throw new MaxLengthError('Decode error - repeated field "have" had too many elements')
              }

              obj.have.push(DigestEntry.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.have$
              }))
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
          records: 64,
          digest: 4096,
          want: 4096,
          have: 4096
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield * Hello.codec().stream(reader, reader.uint32(), `${prefix}.hello`, {
                limits: opts.limits?.hello
              })

              break
            }
            case 2: {
              yield * Pulse.codec().stream(reader, reader.uint32(), `${prefix}.pulse`, {
                limits: opts.limits?.pulse
              })

              break
            }
            case 3: {
              if (opts.limits?.records != null && obj.records === opts.limits.records) {
                throw new MaxLengthError('Streaming decode error - repeated field "records" had too many elements')
              }

              if (obj.records === 64) {
                throw new MaxLengthError('Streaming decode error - repeated field "records" had too many elements')
              }

              yield {
                field: `${prefix}.records[]`,
                index: obj.records,
                value: reader.bytes()
              }

              obj.records++

              break
            }
            case 4: {
              if (opts.limits?.digest != null && obj.digest === opts.limits.digest) {
                throw new MaxLengthError('Streaming decode error - repeated field "digest" had too many elements')
              }

              if (obj.digest === 4096) {
                throw new MaxLengthError('Streaming decode error - repeated field "digest" had too many elements')
              }

              for (const evt of DigestEntry.codec().stream(reader, reader.uint32(), `${prefix}.digest[]`, {
                limits: opts.limits?.digest$
              })) {
                yield {
                  ...evt,
                  index: obj.digest
                }
              }

              obj.digest++

              break
            }
            case 5: {
              if (opts.limits?.want != null && obj.want === opts.limits.want) {
                throw new MaxLengthError('Streaming decode error - repeated field "want" had too many elements')
              }

              if (obj.want === 4096) {
                throw new MaxLengthError('Streaming decode error - repeated field "want" had too many elements')
              }

              yield {
                field: `${prefix}.want[]`,
                index: obj.want,
                value: reader.bytes()
              }

              obj.want++

              break
            }
            case 6: {
              yield {
                field: `${prefix}.synced`,
                value: reader.bool()
              }
              break
            }
            case 7: {
              if (opts.limits?.have != null && obj.have === opts.limits.have) {
                throw new MaxLengthError('Streaming decode error - repeated field "have" had too many elements')
              }

              if (obj.have === 4096) {
                throw new MaxLengthError('Streaming decode error - repeated field "have" had too many elements')
              }

              for (const evt of DigestEntry.codec().stream(reader, reader.uint32(), `${prefix}.have[]`, {
                limits: opts.limits?.have$
              })) {
                yield {
                  ...evt,
                  index: obj.have
                }
              }

              obj.have++

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

  export interface LinkFrameHelloRecordFieldEvent {
    field: '$.hello.record'
    value: Uint8Array<ArrayBuffer>
  }

  export interface LinkFrameHelloLinkFieldEvent {
    field: '$.hello.link'
    value: boolean
  }

  export interface LinkFrameHelloDigestFieldEvent {
    field: '$.hello.digest'
    value: bigint
  }

  export interface LinkFramePulsePingFieldEvent {
    field: '$.pulse.ping'
    value: boolean
  }

  export interface LinkFramePulseDigestFieldEvent {
    field: '$.pulse.digest'
    value: bigint
  }

  export interface LinkFramePulseLoadRecordSeqFieldEvent {
    field: '$.pulse.load.recordSeq'
    value: bigint
  }

  export interface LinkFramePulseLoadRunningFieldEvent {
    field: '$.pulse.load.running[]'
    index: number
    value: number
  }

  export interface LinkFramePulseLoadQueuedFieldEvent {
    field: '$.pulse.load.queued[]'
    index: number
    value: number
  }

  export interface LinkFrameRecordsFieldEvent {
    field: '$.records[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export interface LinkFrameDigestPeerIdFieldEvent {
    field: '$.digest[].peerId'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface LinkFrameDigestIncarnationFieldEvent {
    field: '$.digest[].incarnation'
    value: bigint
    index: number
  }

  export interface LinkFrameDigestSeqFieldEvent {
    field: '$.digest[].seq'
    value: bigint
    index: number
  }

  export interface LinkFrameWantFieldEvent {
    field: '$.want[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export interface LinkFrameSyncedFieldEvent {
    field: '$.synced'
    value: boolean
  }

  export interface LinkFrameHavePeerIdFieldEvent {
    field: '$.have[].peerId'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface LinkFrameHaveIncarnationFieldEvent {
    field: '$.have[].incarnation'
    value: bigint
    index: number
  }

  export interface LinkFrameHaveSeqFieldEvent {
    field: '$.have[].seq'
    value: bigint
    index: number
  }

  export function encode (obj: Partial<LinkFrame>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, LinkFrame.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<LinkFrame>): LinkFrame {
    return decodeMessage(buf, LinkFrame.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<LinkFrame>): Generator<LinkFrameHelloRecordFieldEvent | LinkFrameHelloLinkFieldEvent | LinkFrameHelloDigestFieldEvent | LinkFramePulsePingFieldEvent | LinkFramePulseDigestFieldEvent | LinkFramePulseLoadRecordSeqFieldEvent | LinkFramePulseLoadRunningFieldEvent | LinkFramePulseLoadQueuedFieldEvent | LinkFrameRecordsFieldEvent | LinkFrameDigestPeerIdFieldEvent | LinkFrameDigestIncarnationFieldEvent | LinkFrameDigestSeqFieldEvent | LinkFrameWantFieldEvent | LinkFrameSyncedFieldEvent | LinkFrameHavePeerIdFieldEvent | LinkFrameHaveIncarnationFieldEvent | LinkFrameHaveSeqFieldEvent> {
    return streamMessage(buf, LinkFrame.codec(), opts)
  }
}
