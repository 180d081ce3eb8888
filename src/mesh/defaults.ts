/**
 * The overlay's defaults, in a module with no imports: the node's configuration reads them without
 * loading libp2p (every CLI command parses flags; only `node` needs the mesh).
 */
export const DEFAULT_HEARTBEAT_MS = 1000
export const DEFAULT_LINKS = 8
export const DEFAULT_MAX_CONNECTIONS = 16
export const DEFAULT_MAX_MEMBERS = 512
