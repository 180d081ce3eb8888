/**
 * Who may do what over this node's libp2p protocols: one rule for every protocol that serves reads
 * or changes (manage, observe), so they cannot drift apart. Noise authenticates the caller's
 * PeerId; the admin secret, when a request carries one, is checked in constant time by the caller's
 * `checkSecret`.
 */
export interface PeerAccessInit {
  /** PeerIds allowed to change the node (`p2pfaas node --admin`). */
  admins: Iterable<string>
  /** Checks a presented admin secret in constant time. */
  checkSecret: (secret: string) => boolean
  /** `--private-reads`: reads that reveal the mesh need what changes need, or a member asking. */
  privateReads?: boolean
  /** A member of the mesh: it learns the member table by gossip anyway. Default: nobody. */
  isMember?: (peer: string) => boolean
}

export interface PeerAccess {
  /** A trusted identity, or a caller presenting the admin secret: may change the node. */
  isAdmin(peer: string, secret?: string): boolean
  /** May read what reveals the mesh: anyone, unless reads are private (then a member or an admin). */
  mayRead(peer: string, secret?: string): boolean
}

export function createPeerAccess (init: PeerAccessInit): PeerAccess {
  const admins = new Set(init.admins)
  const isAdmin = (peer: string, secret?: string): boolean => admins.has(peer) || (secret != null && init.checkSecret(secret))
  return {
    isAdmin,
    mayRead: (peer, secret) => init.privateReads !== true || init.isMember?.(peer) === true || isAdmin(peer, secret)
  }
}

/** What a refused caller is told, whichever protocol refused it. */
export function refusalMessage (node: string, peer: string, what: string, privileged: boolean): string {
  return `node ${node} does not trust ${peer} to ${what}${privileged ? '' : ' (its reads are private: --private-reads)'}: ` +
    'start the node with --admin <that PeerId> (p2pfaas id prints it), or pass --admin-secret-file with the node\'s admin secret'
}
