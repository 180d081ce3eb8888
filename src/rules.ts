/**
 * Rules every layer shares, at the bottom of the layer order so any folder may import them: one
 * definition each, so the HTTP API, the management protocol and the mesh never disagree.
 */

/** A function's name: what OpenFaaS (and DNS labels) allow. */
export const FUNCTION_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/
