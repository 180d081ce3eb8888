import { addMeshOptions, collect, runCommand } from '../session.js'
import type { ExperimentFlags } from './experiment.js'
import type { Command } from 'commander'

/**
 * Registers `p2pfaas experiment`. Only the flags live here: the command's modules (YAML, the
 * models, Vega for the figures: several MiB) load when it runs, never for the CLI's other commands.
 */
export function registerExperimentCommand (program: Command): void {
  addMeshOptions(program.command('experiment <spec>'))
    .description('run an experiment spec: policies x offered loads x repetitions on real nodes, then CSV/JSON of every call, summaries with 95% intervals, and figures against the queueing models')
    .option('--out <dir>', 'where the results go (default: experiments/results/<spec name>/)')
    .option('--url <url>', 'run on existing nodes through their HTTP API, one --url per spec node in order (repeatable)', collect, [])
    .option('--admin-secret-file <file>', 'the nodes\' admin secret, for --url and --peer (deploying, setting policies)')
    .option('--no-deploy', 'the function is on the nodes already, with the spec\'s slots, queue and speed (--url, --peer)')
    .option('--dry-run', 'check the spec and print the plan (loads, rates, model P_B, runs); start nothing')
    .option('--node-log-level <level>', 'log level of the local mesh\'s nodes (their logs are removed with them)', 'warn')
    .addHelpText('after', `
Without --url or --peer the command starts the spec's nodes itself: real \`p2pfaas node\` processes
on 127.0.0.1, mDNS off, joined by bootstrap addresses, each with the emulated function (no Docker).
Each call carries X-P2pfaas-Scheduler-Learning-Task-Type (its task type, 0-based) and its work
(?ms=, drawn from the task type's distribution; a node divides it by its speed).

Files in --out: calls.csv and calls.jsonl (every call), runs.csv (every run), aggregate.csv (per
policy and load: means with 95% Student t intervals over repetitions, n/a with one), summary.json
(all of it, with the models), blocking.svg, response.svg, deadline.svg and report.txt. They are
written after every run: Ctrl-C stops the run in progress, keeps what was measured, stops the nodes
and exits 130 (a second Ctrl-C kills the nodes at once).

Exit 0 when every run is done; 2 for a bad spec or flags; 130 after Ctrl-C; 1 when a run failed.
The spec format: docs/experiments.md.

Examples:
  p2pfaas experiment examples/experiments/tiny.yml --dry-run
  p2pfaas experiment examples/experiments/tiny.yml --out /tmp/tiny
  p2pfaas experiment paper.yml --url http://10.0.0.1:18080 --url http://10.0.0.2:18080 --admin-secret-file secret`)
    .action(async (spec: string, flags: ExperimentFlags) => {
      await runCommand('experiment', async () => {
        const { experiment } = await import('./experiment.js')
        return await experiment(spec, flags)
      })
    })
}
