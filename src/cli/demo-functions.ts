import { fileURLToPath } from 'node:url'
import Dockerode from 'dockerode'
import { DockerRuntime } from '../runtime/docker.js'

/** Where the sample functions' sources are (for the process runtime), from dist/src/cli or src/cli. */
const functionsDir = (): string => fileURLToPath(new URL(import.meta.url.includes('/dist/') ? '../../../docker/functions/' : '../../docker/functions/', import.meta.url))

export interface DemoFunctions {
  /** Said to the user as is: which runtime, and why. */
  how: string
  bodies: Array<Record<string, unknown>>
}

const SETTINGS = { 'p2pfaas.concurrency': '2', 'p2pfaas.queue': '0' }
const SAMPLES = ['echo', 'sleep'] as const

/**
 * The sample functions the demo deploys: their container images when a Docker engine answers and
 * has them (`npm run images`), otherwise the same code as classic-watchdog processes on this host.
 */
export async function demoFunctions (): Promise<DemoFunctions> {
  const docker = new Dockerode()
  if (await DockerRuntime.available(docker)) {
    const missing: string[] = []
    for (const name of SAMPLES) {
      await docker.getImage(`p2pfaas/fn-${name}:latest`).inspect().catch(() => { missing.push(name) })
    }
    if (missing.length === 0) {
      return {
        how: 'Docker engine found: the sample functions run as containers (p2pfaas/fn-echo, p2pfaas/fn-sleep)',
        bodies: SAMPLES.map(name => ({ service: name, image: `p2pfaas/fn-${name}:latest`, labels: { ...SETTINGS } }))
      }
    }
    return processFunctions(`Docker engine found, but without the images of ${missing.join(', ')} (npm run images builds them): running them as processes on this host, NOT isolated`)
  }
  return processFunctions('no Docker engine: the sample functions run as processes on this host (process runtime, NOT isolated)')
}

function processFunctions (how: string): DemoFunctions {
  const dir = functionsDir()
  return {
    how,
    bodies: SAMPLES.map(name => ({ service: name, envProcess: `${process.execPath} ${dir}${name}/classic.mjs`, labels: { ...SETTINGS, 'p2pfaas.runtime': 'process' } }))
  }
}
