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
