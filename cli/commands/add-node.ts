import type { Command } from 'commander';
import { DEFAULT_API_URL } from '../../util/config.js';
import type { AddNodeFlags } from '../actions/add-node.js';

/** The bounds the help quotes: from model/limits.ts and controller/add-node.ts, which load zod. */
interface HelpBounds {
  maxNodeId: number;
  maxLatencyMs: number;
  drawAvailability: { min: number; max: number };
  drawLatencyMs: { min: number; max: number };
}

/** Option descriptions; without the bounds (a bare `fogsim --help` does not load them) they leave the numbers out. */
function descriptions(b?: HelpBounds): Record<'--id' | '--availability' | '--latency', string> {
  return {
    '--id': `id of the new node (unused${b ? `, 1-${b.maxNodeId}` : ''})`,
    '--availability': `availability of the new node, 0-100 (default: drawn${b ? `, ${b.drawAvailability.min}-${b.drawAvailability.max}` : ''})`,
    '--latency': `latency in ms${b ? ` (0-${b.maxLatencyMs})` : ''} to every existing node: 1=2000,2=1000,... (default: drawn${b ? `, ${b.drawLatencyMs.min}-${b.drawLatencyMs.max} to each` : ''})`,
  };
}

export function registerAddNode(program: Command): Command {
  const d = descriptions();
  return (
    program
      .command('add-node')
      .description('add a fog node with its links, through a running controller or straight on the store')
      .option('--id <n>', d['--id'])
      .option('--availability <percent>', d['--availability'])
      .option('--latency <list>', d['--latency'])
      .option('--storage <yes|no>', 'whether the node may host data', 'yes')
      .option('--name <name>', 'display name (default node<id>)')
      .option('--goal <json>', 'also place an app on the node with this QoS goal (JSON)')
      .option('--seed <n>', 'seed of the draws of a left-out --availability / --latency (default: derived from --id)')
      // FOGSIM_API_URL points the probe elsewhere (tests, a controller on another port)
      .option('--api <url>', `controller to send it to (default: FOGSIM_API_URL, else ${DEFAULT_API_URL}, when one answers there; else the store)`)
      .action(async (flags: AddNodeFlags) => (await import('../actions/add-node.js')).addNode(flags))
  );
}

/** Puts the bounds into the help of add-node; main awaits it when the command line names add-node. */
export async function describeAddNode(cmd: Command): Promise<void> {
  const [limits, drawn] = await Promise.all([import('../../model/limits.js'), import('../../controller/add-node.js')]);
  const d = descriptions({ maxNodeId: limits.MAX_NODE_ID, maxLatencyMs: limits.MAX_LATENCY_MS, drawAvailability: drawn.DRAW_AVAILABILITY, drawLatencyMs: drawn.DRAW_LATENCY_MS });
  for (const o of cmd.options) if (o.long && o.long in d) o.description = d[o.long as keyof typeof d];
}
