// The layer order of src/ (docs/architecture.md), checked by dependency-cruiser: `npm run check:layers`,
// and test/architecture/layers.test.ts in the test suite.

/**
 * Bottom to top. An import may point only to a lower layer; folders on the same layer import
 * neither way. `folder` is how docs/architecture.md names it (its table must match this list);
 * `path` is the regular expression for its files.
 */
const LAYERS = [
  [{ folder: 'src/*.ts', path: '^src/[^/]+\\.ts$' }],
  [{ folder: 'wire/' }, { folder: 'scheduler/' }, { folder: 'plot/' }],
  [{ folder: 'mesh/' }],
  [{ folder: 'functions/' }],
  [{ folder: 'runtime/' }],
  [{ folder: 'executor/' }],
  [{ folder: 'registry/' }],
  [{ folder: 'invoke/' }],
  [{ folder: 'observe/' }, { folder: 'manage/' }],
  [{ folder: 'dashboard/' }],
  [{ folder: 'gateway/' }],
  [{ folder: 'node/' }],
  [{ folder: 'cli/' }],
  [{ folder: 'bench/', path: '^bench/' }]
].map((layer, level) => layer.map(f => ({ ...f, level, path: f.path ?? `^src/${f.folder}` })))

/**
 * Imports allowed against the order, each from one file to one file. Temporary ones name the
 * issue that removes them; delete the entry once it has landed.
 */
/**
 * Imports allowed against the order, file to file, each with its reason. None today: keep it that
 * way, and when one is unavoidable, name it here rather than loosen a layer.
 */
const EXCEPTIONS = []

/** Folder pairs allowed to loop (only through the exceptions above). None today. */
const FOLDER_CYCLE_EXCEPTIONS = []

const exact = file => `^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`
const all = LAYERS.flat()

/** One rule per folder: nothing above it, nothing beside it. Exceptions get a rule of their own. */
function layerRules (f) {
  const banned = all.filter(g => g.level > f.level || (g.level === f.level && g !== f)).map(g => g.path)
  if (banned.length === 0) return []
  const comment = `${f.folder} (layer ${f.level}) may import only from lower layers: see docs/architecture.md`
  const own = EXCEPTIONS.filter(e => new RegExp(f.path).test(e.from))
  const rule = (from, to) => ({ name: 'layer-order', severity: 'error', comment, from, to })
  return [
    rule({ path: f.path, pathNot: own.map(e => exact(e.from)) }, { path: banned }),
    ...[...new Set(own.map(e => e.from))].map(file =>
      rule({ path: exact(file) }, { path: banned, pathNot: own.filter(e => e.from === file).map(e => exact(e.to)) }))
  ]
}

/**
 * A loop between two folders is allowed only for a pair in FOLDER_CYCLE_EXCEPTIONS. Folder rules
 * see one step of the loop at a time: each of the two may step to the other, and any other step of
 * a loop through them is still caught, so a longer loop through the pair is not excused.
 */
function folderCycleRules () {
  const rule = (from, to) => ({
    name: 'no-folder-cycle',
    severity: 'error',
    comment: 'folders must not import each other, directly or round a loop: see docs/architecture.md',
    scope: 'folder',
    from,
    to: { circular: true, ...to }
  })
  return [
    rule({ pathNot: FOLDER_CYCLE_EXCEPTIONS.flat().map(exact) }, {}),
    ...FOLDER_CYCLE_EXCEPTIONS.flatMap(([a, b]) => [
      rule({ path: exact(a) }, { pathNot: exact(b) }),
      rule({ path: exact(b) }, { pathNot: exact(a) })
    ])
  ]
}

/** @type {import('dependency-cruiser').IConfiguration} */
const config = {
  forbidden: [
    ...all.flatMap(layerRules),
    ...folderCycleRules(),
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'files must not import each other round a loop, not even through type-only imports',
      from: {},
      to: { circular: true }
    }
  ],
  options: {
    includeOnly: '^(src|bench)/',
    // A type-only import is still a dependency on the layer that owns the type.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' }
  }
}

module.exports = config
// For the test that keeps docs/architecture.md in step; not a dependency-cruiser option, so it is
// kept out of the configuration's own keys, which dependency-cruiser checks against its schema.
Object.defineProperty(module.exports, 'layers', { value: LAYERS, enumerable: false })
