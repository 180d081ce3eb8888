import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The repository root, whether this runs from the sources (vitest) or from dist/ (benchmarks). */
function findRoot (): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  while (!existsSync(join(dir, 'package.json')) || dir.endsWith('/dist')) {
    const up = dirname(dir)
    if (up === dir) throw new Error('cannot find the repository root')
    dir = up
  }
  return dir
}

export const REPO_ROOT = findRoot()
export const repoPath = (...parts: string[]): string => join(REPO_ROOT, ...parts)

/** The built command, as users run it (`npm test` builds first). */
export const CLI = repoPath('dist', 'src', 'bin', 'main.js')
