#!/usr/bin/env node
// Placeholder entry of the `flotilla` CLI. The real commands (cluster up,
// start, status, service, kv, deploy, leader) arrive with the orchestrator issue.
process.stderr.write('flotilla: the CLI is not built yet; see README.md\n');
process.exit(1);
