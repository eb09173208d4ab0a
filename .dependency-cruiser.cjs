/* global module */
/**
 * The layers of src/, enforced in `npm test` (scripts/check-layers.sh): a folder may import its
 * own layer and those below, never one above, and no module may take part in an import cycle.
 * docs/architecture.md explains the layers; keep the two in step.
 */
const layers = [
  // 0: words and small helpers every part may use
  ['control-characters.ts', 'format.ts', 'text-diff.ts', 'errors'],
  // 1: the outside world, each behind its own typed adapter
  ['engine', 'store', 'scope', 'database'],
  // 2: records and what is read straight off them
  // (and the settings each part reads from the environment, which config.ts gathers)
  // (and the agent's interface and protocol: plain data and the one way to a hosting server,
  // with the restore request it carries)
  [
    'target',
    'auth',
    'inventory',
    'snapshot',
    'job',
    'agent',
    'fleet',
    'restore-job/restore-request.ts',
    'notify/settings.ts',
    'api/proxy-settings.ts',
  ],
  // 3: repositories (sealed passwords, init, locks)
  ['repository'],
  // 4: the rules of schedules and the messages about them
  ['schedule', 'notify'],
  // 5: the work itself: the job handlers of the control plane, and the host side that executes
  // (the in-process agent and what it runs)
  [
    'backup',
    'restore-job',
    'maintenance',
    'drill',
    'coverage',
    'copy',
    'lifecycle',
    'restore',
    'host',
    'vault',
    'agent/local.ts',
    'agent/local-repositories.ts',
    // a lost server's customers moved and restored: the fleet's use of restore requests
    'fleet/server-recovery.ts',
  ],
  // 6: composition: configuration, the app, the hosting server's half of it
  ['config.ts', 'app.ts', 'recovery-safety.ts', 'host-side.ts', 'planning.ts', 'startup-gc.ts'],
  // 7: the ways in: HTTP, CLI (the demo is one of its commands), the service's start in each role
  ['api', 'cli', 'cli.ts', 'demo', 'serve.ts', 'controller.ts', 'agent-role.ts', 'vault-role.ts'],
];

const pattern = (names) =>
  `^src/(${names.map((n) => n.replace(/[.]/g, '[.]') + (n.endsWith('.ts') ? '$' : '/')).join('|')})`;

// A file named in a layer belongs there even inside a folder of a higher one (settings modules).
const files = (names) => names.filter((n) => n.endsWith('.ts'));

const upward = layers.slice(0, -1).map((lower, i) => ({
  name: `layer-${i}-imports-higher`,
  comment: `${lower.join(', ')} must not import a higher layer`,
  severity: 'error',
  from: {
    path: pattern(lower),
    pathNot: `[.]test[.]ts$|${pattern(files(layers.slice(i + 1).flat()))}`,
  },
  to: {
    path: pattern(layers.slice(i + 1).flat()),
    pathNot: pattern(files(layers.slice(0, i + 1).flat())),
  },
}));

/**
 * The host-agent boundary (docs/architecture.md): the control plane decides and records, a
 * hosting server's agent executes. Control and shared folders reach a hosting server only through
 * the agent's interface (src/agent/agent.ts, protocol.ts), never its host code, so a network
 * transport can take the in-process agent's place (src/fleet/nats-agent.ts does). The composition
 * roots (app.ts, host-side.ts, serve.ts, controller.ts, agent-role.ts, cli.ts, config.ts) build
 * both sides and are neither.
 */
const control = [
  'api',
  'cli',
  'schedule',
  'job',
  'notify',
  'auth',
  'inventory',
  'store',
  'repository',
  'backup',
  'restore-job',
  'maintenance',
  'drill',
  'coverage',
  'copy',
  'lifecycle',
  // shared plain data: target schemas and URLs, scope words and labels, the agent's protocol
  'target',
  'scope',
  'agent',
  // the fleet's transport: names, messages, the controller's NatsAgent (its agent side is host)
  'fleet',
];
const host = [
  'engine',
  'database',
  'restore',
  'snapshot',
  'demo',
  'host',
  // the vault's endpoint and its maintenance with full rights on the backing target
  'vault',
  'agent/local.ts',
  'agent/local-repositories.ts',
  // the agent's side of the fleet transport: runs jobs on this server, keeps its job record
  'fleet/agent-server.ts',
  'fleet/job-record.ts',
];
const boundary = {
  name: 'control-imports-host',
  comment: `control and shared folders (${control.join(', ')}) must not import host code (${host.join(', ')}); they call the HostAgent interface`,
  severity: 'error',
  from: { path: pattern(control), pathNot: `[.]test[.]ts$|${pattern(files(host))}` },
  to: { path: pattern(host) },
};

module.exports = {
  forbidden: [
    ...upward,
    boundary,
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
