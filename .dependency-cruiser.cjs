/* global module */
/**
 * The layers of src/, enforced in `npm test` (scripts/check-layers.sh): a folder may import its
 * own layer and those below, never one above, and no module may take part in an import cycle.
 * docs/architecture.md explains the layers; keep the two in step.
 */
const layers = [
  // 0: words and small helpers every part may use
  ['control-characters.ts', 'format.ts'],
  // 1: the outside world, each behind its own typed adapter
  ['engine', 'store', 'scope', 'database'],
  // 2: records and what is read straight off them
  // (and the settings each part reads from the environment, which config.ts gathers)
  ['target', 'auth', 'inventory', 'snapshot', 'job', 'notify/settings.ts', 'api/proxy-settings.ts'],
  // 3: repositories (sealed passwords, init, locks)
  ['repository'],
  // 4: the rules of schedules and the messages about them
  ['schedule', 'notify'],
  // 5: the work itself, run by the worker
  ['backup', 'restore', 'maintenance'],
  // 6: composition: configuration and the app
  ['config.ts', 'app.ts'],
  // 7: the ways in: HTTP, CLI (the demo is one of its commands), the service's start
  ['api', 'cli', 'cli.ts', 'demo', 'serve.ts'],
];

const pattern = (names) =>
  `^src/(${names.map((n) => n.replace(/[.]/g, '[.]') + (n.endsWith('.ts') ? '$' : '/')).join('|')})`;

// A file named in a layer belongs there even inside a folder of a higher one (settings modules).
const files = (names) => names.filter((n) => n.endsWith('.ts'));

const upward = layers.slice(0, -1).map((lower, i) => ({
  name: `layer-${i}-imports-higher`,
  comment: `${lower.join(', ')} must not import a higher layer`,
  severity: 'error',
  from: { path: pattern(lower), pathNot: '[.]test[.]ts$' },
  to: {
    path: pattern(layers.slice(i + 1).flat()),
    pathNot: pattern(files(layers.slice(0, i + 1).flat())),
  },
}));

module.exports = {
  forbidden: [
    ...upward,
    {
      name: 'no-cycles',
      severity: 'error',
      from: { path: '^src/', pathNot: '[.]test[.]ts$' },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '[.]test[.]ts$' },
  },
};
