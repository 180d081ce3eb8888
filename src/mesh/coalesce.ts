import { Socket } from 'node:net'
import type { Connection } from '@libp2p/interface'

const patched = new WeakSet<Socket>()

/**
 * Sends what one turn of the event loop writes to a connection's TCP socket as one segment.
 *
 * @libp2p/noise 17 frames each message as two buffers (the 2-byte length, then the ciphertext) and
 * @libp2p/tcp writes each buffer with its own socket.write on a no-delay socket: every message is
 * two TCP segments, each with its 66 bytes of headers and its ACK (ChainSafe/js-libp2p-noise#387
 * had fixed this by concatenating them; the code that replaced it split them again). Corking the
 * socket until the end of the current tick puts them back together, with no added delay. Only TCP
 * connections are touched; anything else is left as it is.
 */
export function coalesceWrites (conn: Connection): void {
  const socket = (conn as unknown as { maConn?: { socket?: unknown } }).maConn?.socket
  if (!(socket instanceof Socket) || patched.has(socket)) return
  patched.add(socket)
  const write = socket.write.bind(socket) as (...args: unknown[]) => boolean
  let corked = false
  const uncork = (): void => {
    corked = false
    if (!socket.destroyed) socket.uncork()
  }
  socket.write = ((...args: unknown[]) => {
    if (!corked && !socket.destroyed) {
      corked = true
      socket.cork()
      process.nextTick(uncork)
    }
    return write(...args)
  }) as typeof socket.write
}

/** yamux's StreamState.Established (node_modules/@libp2p/yamux/dist/src/stream.js). */
const YAMUX_ESTABLISHED = 3
let yamuxTuned = false

/**
 * @libp2p/yamux 8 answers every data frame it receives with a window update, even when almost the
 * whole receive window is still free: each small message (a link's pulse, a call's frames) costs a
 * second message back, with its own TCP segment and ACK. go-yamux (and the yamux spec's advice)
 * sends an update only once half the window is used. This makes the JS streams do the same, on the
 * stream class itself, found from the first stream this process opens or accepts: the updates that
 * matter (flags to send, a paused stream, a window half used) go out exactly as before. A yamux
 * whose streams do not look like this one is left alone.
 */
export function sparseWindowUpdates (stream: object): void {
  if (yamuxTuned) return
  const proto = Object.getPrototypeOf(stream) as { sendWindowUpdate?: (this: YamuxLike) => void } | null
  const s = stream as Partial<YamuxLike>
  if (proto == null || typeof proto.sendWindowUpdate !== 'function' || typeof s.recvWindow !== 'number' || typeof s.recvWindowCapacity !== 'number' || typeof s.state !== 'number') return
  yamuxTuned = true
  const original = proto.sendWindowUpdate
  proto.sendWindowUpdate = function (this: YamuxLike) {
    if (this.state === YAMUX_ESTABLISHED && this.recvWindowCapacity > this.recvWindow / 2) return
    original.call(this)
  }
}

interface YamuxLike { state: number, recvWindow: number, recvWindowCapacity: number }
