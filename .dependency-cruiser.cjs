/**
 * The house import rules (/ARCHITECTURE.md "Rooms in src/"), checked by dependency-cruiser.
 *
 *   npm run lint:imports                      all rules, plus the checks of scripts/import-rules.ts
 *                                             (no cycle between rooms, process.env reads, what the
 *                                             CLI loads before it reads its arguments)
 *   npx depcruise src --config .dependency-cruiser.cjs    these rules only (also for graphs)
 *   test/unit/architecture/import-rules.test.ts           the same, as a test, plus a fixture tree
 *                                             with one deliberate violation per rule
 *
 * Paths are relative to the folder the cruise runs from (the repo root, or the fixture root).
 * Every import counts, including `import type` and `export … from`: a type import still couples two
 * rooms (the importing room now changes when the other does), so the room rules treat it like any
 * other import. Dynamic `import()` counts too.
 *
 * Rooms are named once in ROOMS; `rooms(...)` refuses a name that is not there, so a typo cannot
 * turn a rule into a no-op. When a room is renamed or added, change ROOMS, the rules and
 * ARCHITECTURE.md together (the test also fails while a room named here is missing from src/, or a
 * folder in src/ is not named here).
 */

/** Top-level folders of src/, as in ARCHITECTURE.md. */
const ROOMS = [
  'cli', 'server', 'http', 'proxy', 'engine', 'search', 'ingest', 'api',
  'rerank', 'features', 'models', 'config', 'pipelines', 'util', 'observability', 'ui', 'eval',
];

/** A path pattern that matches anything under one of the named rooms: `^src/(a|b)/`. */
function rooms(...names) {
  for (const n of names) {
    if (!ROOMS.includes(n)) throw new Error(`.dependency-cruiser.cjs: unknown room '${n}'`);
  }
  return `^src/(${names.join('|')})/`;
}

/** Rooms above the shared foundation (config/, pipelines/, util/, errors.ts, observability/). */
const AREAS = ['cli', 'server', 'http', 'proxy', 'engine', 'search', 'ingest', 'api', 'rerank', 'features', 'models', 'ui', 'eval'];

const rule = (name, comment, from, to) => ({ name, comment, severity: 'error', from, to });

const config = {
  forbidden: [
    rule(
      'http-only-from-server-and-cli',
      'Only server/ (the composition root) and the cli/ entry import http/: areas export plain ' +
        'handlers that return results or throw typed errors, and http/ turns those into responses.',
      { path: '^src/', pathNot: rooms('server', 'cli', 'http') },
      { path: rooms('http') },
    ),
    rule(
      'server-only-from-cli',
      'server/ is THE composition root: only the cli/ entry starts it; nothing else reaches for ' +
        'the Services object (areas get only what they need, passed in).',
      { path: '^src/', pathNot: rooms('server', 'cli') },
      { path: rooms('server') },
    ),
    rule(
      'express-only-in-http',
      'http/ is the only room that knows req/res: express (its Request/Response/Router) stays there.',
      { path: '^src/', pathNot: rooms('http') },
      { path: '(^|/)node_modules/(@types/)?express(-serve-static-core)?/' },
    ),
    rule(
      'proxy-knows-only-bytes',
      'proxy/ is bytes only (undici pool, retry, streaming, hop-by-hop, error translation): no ' +
        'engine knowledge (that is engine/), no search/ingest semantics, no HTTP surface.',
      { path: rooms('proxy') },
      { path: rooms('search', 'ingest', 'api', 'engine', 'rerank', 'features', 'models', 'http', 'server', 'cli', 'ui') },
    ),
    rule(
      'library-knows-no-http-or-engines',
      'models/, features/, rerank/ (and src/index.ts, their public entry) are the library that ' +
        'process() exposes, usable from a script: they know nothing of HTTP, engines or the areas.',
      { path: [rooms('models', 'features', 'rerank'), '^src/index\\.ts$'] },
      { path: rooms('http', 'search', 'ingest', 'proxy', 'api', 'engine', 'server', 'cli', 'ui') },
    ),
    rule(
      'library-layers-point-down',
      'Arrows point down: rerank/ → features/ → models/. models/ imports neither features/ nor ' +
        'rerank/; features/ does not import rerank/.',
      { path: rooms('models', 'features') },
      // $1 is the room of the importing module: features/ may import features/.
      { path: rooms('features', 'rerank'), pathNot: '^src/$1/' },
    ),
    rule(
      'engine-below-the-areas',
      'engine/ holds what kind of cluster is behind and its dialects; search/ and ingest/ use it, ' +
        'never the other way round, and it knows nothing of the HTTP surface.',
      { path: rooms('engine') },
      { path: rooms('search', 'ingest', 'api', 'http', 'server', 'cli', 'ui') },
    ),
    rule(
      'search-and-ingest-apart',
      'search/ and ingest/ are sibling areas: what both need lives below them (engine/, rerank/ ' +
        'embedder, proxy/), not in one of them.',
      { path: rooms('search', 'ingest') },
      // $1 is the room of the importing module: search/ may import search/.
      { path: rooms('search', 'ingest'), pathNot: '^src/$1/' },
    ),
    rule(
      'eval-measures-through-the-front-door',
      'eval/ (`vlrerank eval`) measures what users get: it sends the searches users send to a running ' +
        'vlrerank over HTTP, or calls process(); it may use rerank/, engine/ and the foundation, never ' +
        'the server, the HTTP surface or search/ingest internals (a shortcut would measure something else).',
      { path: rooms('eval') },
      { path: rooms('http', 'server', 'search', 'ingest', 'api', 'proxy', 'cli', 'ui', 'features', 'models') },
    ),
    rule(
      'foundation-imports-no-area',
      'config/, pipelines/, observability/ are the shared foundation every room may use: they ' +
        'import only each other, util/ and errors.ts, never a room above them.',
      { path: rooms('config', 'pipelines', 'observability') },
      { path: rooms(...AREAS) },
    ),
    rule(
      'util-has-no-home',
      'util/ holds small pieces with no home (semaphore, abort fan-out, vector math): it imports ' +
        'nothing of src/ but errors.ts (itself a leaf, so util/ stays free of home dependencies).',
      { path: rooms('util') },
      { path: '^src/', pathNot: [rooms('util'), '^src/errors\\.ts$'] },
    ),
    rule(
      'errors-is-a-leaf',
      'errors.ts (error classes, stable codes) is imported everywhere, util/ included: it imports ' +
        'nothing of src/, or it would drag that room into every other.',
      { path: '^src/errors\\.ts$' },
      { path: '^src/' },
    ),
    rule(
      'ui-app-imports-no-server-room',
      'src/ui/app/ is browser code bundled by Vite: it imports only itself and ui/ stylesheets, ' +
        'nothing of the server rooms (not even ui/ server-side files).',
      { path: '^src/ui/app/' },
      { path: '^src/', pathNot: ['^src/ui/app/', '^src/ui/[^/]+\\.css$'] },
    ),
    rule(
      'ui-app-imports-no-node-builtin',
      'src/ui/app/ runs in the browser: a node: builtin does not exist there.',
      { path: '^src/ui/app/' },
      { dependencyTypes: ['core'] },
    ),
    rule(
      'no-unresolvable-import',
      'Every import of src/ resolves (NodeNext: ./x.js is ./x.ts): an import the cruiser cannot ' +
        'resolve is an edge that no other rule sees, so it would slip past all of them.',
      { path: '^src/' },
      { couldNotResolve: true },
    ),
    rule(
      'no-module-cycle',
      'No import cycle: a cycle makes load order matter and couples every module on it. Type-only ' +
        'imports count (they couple just the same); break the cycle by moving the shared piece down.',
      { path: '^src/' },
      { circular: true },
    ),
  ],
  options: {
    // Our own code only; packages are leaves (express is still seen, for express-only-in-http).
    doNotFollow: { path: '(^|/)node_modules/' },
    // Keep type-only imports (`import type`, `import { type X }`): they couple rooms too.
    tsPreCompilationDeps: true,
    // NodeNext: `./x.js` resolves to ./x.ts (dependency-cruiser maps .js → .ts when the .js is absent).
    tsConfig: { fileName: 'tsconfig.json' },
    moduleSystems: ['es6', 'cjs'],
    reporterOptions: { text: { highlightFocused: true } },
  },
};

module.exports = config;
// Not part of dependency-cruiser's schema (non-enumerable, so its loader does not see it): the
// test checks that every room named here exists in src/ and every folder of src/ is named here.
Object.defineProperty(module.exports, 'rooms', { value: ROOMS, enumerable: false });
