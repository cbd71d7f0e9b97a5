import type { Command } from 'commander';
import type { ServeFlags } from '../actions/proxy.js';

export function registerProxy(program: Command): void {
  const proxy = program.command('proxy').description('the latency proxy (Toxiproxy-compatible)');
  proxy
    .command('serve')
    .description("run the embedded Toxiproxy-compatible server (Toxiproxy's HTTP API) until Ctrl-C")
    .option('--port <port>', 'API port (Toxiproxy uses 8474)', '8474')
    .option('--host <host>', 'address to bind the API to', '127.0.0.1')
    .action(async (flags: ServeFlags) => (await import('../actions/proxy.js')).serve(flags));
}
