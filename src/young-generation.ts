import { setFlagsFromString } from 'node:v8'

/**
 * V8 grows its young generation (the new space) while a program allocates objects that live:
 * loading a few hundred modules at start is exactly that, so a node used to begin its idle life
 * with a 32 MiB new space on a large host (8 MiB on a 1 GiB board), some 20 MiB of RSS that only
 * V8's memory reducer gave back, tens of seconds later or not at all. Holding the growth while
 * modules load and services start, and releasing it at the node's first call, keeps a node that
 * only does the mesh's upkeep at the smallest new space (1 MiB semi-spaces; a grown one is 8 MiB
 * more of RSS); calls grow it as before, so throughput is the same.
 *
 * `--semi-space-growth-factor` is read each time V8 grows the space, so setting it at run time
 * works (checked on Node 20 / V8 11.3; a V8 that stopped reading it would merely grow as before).
 * 2 is V8's default.
 */
export function holdYoungGeneration (): void {
  setFlagsFromString('--semi-space-growth-factor=1')
}

export function releaseYoungGeneration (): void {
  setFlagsFromString('--semi-space-growth-factor=2')
}
