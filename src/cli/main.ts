/**
 * The `flotilla` command line (commander). Every failure ends as one line on
 * stderr, `flotilla: <reason>`, and a non-zero exit code.
 */

import { Command, CommanderError, Option } from 'commander';
import { CliError, reasonOf } from './cli-error.ts';

/** Command modules load on use: `start` never pays for the SDK, client commands never for the server. */
const clientCommands = () => import('./client-commands.ts');
const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** Options every client command takes. */
function clientCommand(cmd: Command): Command {
  return cmd
    .option('-c, --config <file>', 'cluster file whose node addresses are the default endpoints')
    .addOption(
      new Option('--endpoints <list>', 'comma-separated host:port of nodes').env('FLOTILLA_ENDPOINTS'),
    )
    .option('--json', 'print JSON instead of a table')
    .option('--timeout <ms>', 'deadline of each call in milliseconds', '5000');
}

export function buildProgram(): Command {
  const program = new Command('flotilla')
    .description('A Raft-replicated service registry and deployment controller')
    .showHelpAfterError()
    .exitOverride();

  const cluster = program.command('cluster').description('run a whole cluster on this machine');
  cluster
    .command('up')
    .description(
      'start every node of the cluster file as a child process, wait for a leader, stop all on Ctrl-C',
    )
    .option('-c, --config <file>', 'cluster file (default: ./cluster.example.yaml, else the embedded one)')
    .option('--json', 'print the members as JSON once a leader is elected')
    .action(async (o) => (await import('./cluster-up.ts')).clusterUp(o));

  program
    .command('start')
    .description('run one node of the cluster file in this process')
    .requiredOption('--id <id>', 'which node of the file this is')
    .option('-c, --config <file>', 'cluster file (default: ./cluster.example.yaml)')
    .option(
      '--join',
      'join a running cluster (after `member add`) instead of founding one; implied by `join: true` in the file',
    )
    .action(async (o) => (await import('./start-node.ts')).startNode(o));

  clientCommand(program.command('status').description('leader, term and every member')).action(async (o) =>
    (await clientCommands()).status(o),
  );

  const service = program.command('service').description('register, list and watch service instances');
  clientCommand(
    service
      .command('register')
      .description('register (or replace) an instance')
      .requiredOption('--id <id>', 'instance id, unique in the cluster')
      .requiredOption('--name <name>', 'service name')
      .requiredOption('--address <host>', 'host or IP the instance listens on')
      .requiredOption('--port <port>', 'port the instance listens on')
      .option('--version <version>', 'version of the instance (deployments match on it)')
      .option('--tag <tag>', 'a tag (repeatable)', collect)
      .option('--meta <key=value>', 'a metadata entry (repeatable)', collect)
      .option('--weight <n>', 'routing weight')
      .option('--zone <zone>', 'zone or rack')
      .option('--check-http <path>', 'an http check of this path on the instance (2xx passing, 429 warning)')
      .option('--check-tcp', 'a tcp check: the instance accepts connections')
      .option('--check-ttl <ms>', 'a ttl check: passing while `service heartbeat` comes at least every <ms>')
      .option('--check-interval <ms>', 'time between probes of the http/tcp check')
      .option(
        '--check <json>',
        'a check as JSON, e.g. {"type":"http","url":"http://h:1/ok"} (repeatable)',
        collect,
      ),
  ).action(async (o) => (await clientCommands()).serviceRegister(o));
  clientCommand(service.command('deregister <id>').description('remove an instance')).action(async (id, o) =>
    (await clientCommands()).serviceDeregister(id, o),
  );
  clientCommand(
    service
      .command('heartbeat <id>')
      .description('keep the ttl checks of an instance passing for another ttl'),
  ).action(async (id, o) => (await clientCommands()).serviceHeartbeat(id, o));
  clientCommand(
    service
      .command('drain <id>')
      .description('stop new traffic to an instance; the leader deregisters it after the drain timeout')
      .option('--drain-timeout <ms>', 'deregister this long after the drain (default: the nodes’, 30 s)'),
  ).action(async (id, o) => (await clientCommands()).serviceDrain(id, o));
  clientCommand(
    service
      .command('list [name]')
      .description('every service, or the instances of one')
      .option('--stale', 'read this node’s state without asking the leader')
      .option('--healthy', 'only passing, active instances'),
  ).action(async (name, o) => (await clientCommands()).serviceList(name, o));
  clientCommand(
    service
      .command('watch [name]')
      .description('print instance changes as they happen (all services without a name)')
      .option('--from <revision>', 'start after this revision instead of now'),
  ).action(async (name, o) => (await clientCommands()).serviceWatch(name, o));

  clientCommand(
    service
      .command('policy <name>')
      .description('show the routing policy of a service, or change it with the flags below')
      .option('--strategy <s>', 'round-robin, weighted-round-robin, random, least-request or consistent-hash')
      .option('--hash-key <k>', 'consistent-hash key: path, header:NAME, query:NAME or cookie:NAME')
      .option('--max-concurrent <n>', 'requests a gateway lets through to the service at once')
      .option('--queue <n>', 'requests that may wait for a slot (beyond it: 429)')
      .option('--queue-timeout-ms <ms>', 'longest wait in the queue (then 503)')
      .option('--version-weight <version=weight>', 'traffic weight of a version (repeatable)', collect)
      .option('--replace', 'start from an empty policy instead of changing the stored one')
      .option('--delete', 'remove the policy (the service falls back to round-robin)'),
  ).action(async (name, o) => (await import('./policy-command.ts')).servicePolicy(name, o));

  const deploy = program.command('deploy').description('progressive deployments: canary and blue-green');
  const deployCommands = () => import('./deploy-command.ts');
  const rollout = (cmd: Command): Command =>
    clientCommand(
      cmd
        .requiredOption('--to <version>', 'the new version')
        .option('--from <version>', 'the version to move from (default: the one other version running)')
        .option('--id <id>', 'deployment id (default: <service>-<revision>)')
        .option('--no-auto-rollback', 'do not roll back by itself when a gate fails')
        .option('--max-error-percent <n>', 'error gate: share of 5xx answers that fails it (default 5)')
        .option('--min-requests <n>', 'error gate: requests before the rate counts (default 20)')
        .option('--progress-deadline <ms>', 'fail when waiting on the controller this long (default 600000)'),
    );
  rollout(
    deploy
      .command('canary <service>')
      .description('send a share of the traffic to a new version')
      .option('--percent <n>', 'share of traffic of the first step (0–100)')
      .option('--steps <list>', 'increasing shares, each optionally held: 5:30000,25:30000,50')
      .option('--auto-promote', 'promote step by step once each pause is over and the gates pass'),
  ).action(async (service, o) => (await deployCommands()).deployCanary(service, o));
  rollout(
    deploy
      .command('blue-green <service>')
      .description('prepare a new version with no traffic until `deploy switch`'),
  ).action(async (service, o) => (await deployCommands()).deployBlueGreen(service, o));
  clientCommand(
    deploy
      .command('promote <id>')
      .description('canary: the next step (or --percent); blue-green after the switch: finish')
      .option('--percent <n>', 'share of traffic to give the new version (100: finish)'),
  ).action(async (id, o) => (await deployCommands()).deployPromote(id, o));
  clientCommand(
    deploy
      .command('rollback <id>')
      .description('all traffic back to the old version at once')
      .option('--reason <text>', 'recorded in the history'),
  ).action(async (id, o) => (await deployCommands()).deployRollback(id, o));
  clientCommand(
    deploy.command('switch <id>').description('blue-green: all traffic to the other version, atomically'),
  ).action(async (id, o) => (await deployCommands()).deploySwitch(id, o));
  clientCommand(
    deploy
      .command('status [id]')
      .description('one deployment with its history, or every deployment')
      .option('--service <name>', 'only the deployments of this service'),
  ).action(async (id, o) => (await deployCommands()).deployStatus(id, o));

  const kv = program.command('kv').description('dynamic configuration');
  clientCommand(
    kv
      .command('put <key> <value>')
      .description('set a key')
      .option('--json-value', 'parse the value as JSON'),
  ).action(async (key, value, o) => (await clientCommands()).kvPut(key, value, o));
  clientCommand(kv.command('get <key>').description('print a value').option('--stale', 'local read')).action(
    async (key, o) => (await clientCommands()).kvGet(key, o),
  );
  clientCommand(kv.command('del <key>').description('delete a key')).action(async (key, o) =>
    (await clientCommands()).kvDelete(key, o),
  );
  clientCommand(
    kv.command('list [prefix]').description('keys starting with prefix').option('--stale', 'local read'),
  ).action(async (prefix, o) => (await clientCommands()).kvList(prefix, o));

  program
    .command('gateway')
    .description('run an HTTP gateway that routes by the registry, until Ctrl-C')
    .option('--listen <host:port>', 'address to listen on', '127.0.0.1:8080')
    .option('--route <prefix=service>', 'send requests under PREFIX to SERVICE (repeatable)', collect)
    .option('-c, --config <file>', 'cluster file whose node addresses are the default endpoints')
    .addOption(
      new Option('--endpoints <list>', 'comma-separated host:port of nodes').env('FLOTILLA_ENDPOINTS'),
    )
    .option('--timeout <ms>', 'deadline of each call to the cluster in milliseconds', '2000')
    .option('--json', 'print the listening address and routes as JSON')
    .action(async (o) => (await import('./gateway-command.ts')).gateway(o));

  const member = program.command('member').description('cluster membership: list, add and remove nodes');
  const memberCommands = () => import('./member-command.ts');
  clientCommand(
    member
      .command('list')
      .description('the voters and learners, with their addresses')
      .option('--stale', 'read this node’s view without asking the leader'),
  ).action(async (o) => (await memberCommands()).memberList(o));
  clientCommand(
    member
      .command('add <id> <address>')
      .description(
        'add a node (host:port) as a learner, promoted to voter once caught up; then start it with --join',
      )
      .option('--peer-address <host:port>', 'where the other nodes dial it, when not <address>'),
  ).action(async (id, address, o) => (await memberCommands()).memberAdd(id, address, o));
  clientCommand(
    member
      .command('remove <id>')
      .description('remove a node (the leader hands leadership over first); then stop it'),
  ).action(async (id, o) => (await memberCommands()).memberRemove(id, o));

  const leader = program.command('leader').description('leadership');
  clientCommand(
    leader
      .command('transfer')
      .description('hand leadership to another voter (the most caught-up one by default)')
      .option('--to <id>', 'the node to take over'),
  ).action(async (o) => (await clientCommands()).leaderTransfer(o));
  return program;
}

export async function main(argv: readonly string[]): Promise<void> {
  try {
    await buildProgram().parseAsync([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version exit 0; usage errors were already printed by commander.
      process.exitCode = error.exitCode;
      return;
    }
    process.stderr.write(`flotilla: ${reasonOf(error)}\n`);
    process.exitCode = error instanceof CliError ? error.exitCode : 1;
  }
}

await main(process.argv.slice(2));
