import net from 'node:net';
import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { registerProxy } from '../../cli/commands/proxy.js';
import { UserError } from '../../model/errors.js';

function program(): Command {
  const p = new Command().exitOverride();
  registerProxy(p);
  return p;
}

afterEach(() => vi.restoreAllMocks());

describe('fogsim proxy serve', () => {
  it('rejects a bad --port with a UserError naming the flag', async () => {
    for (const bad of ['abc', '-1', '70000', '80.5']) {
      const err = await program().parseAsync(['node', 'fogsim', 'proxy', 'serve', '--port', bad]).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UserError);
      expect((err as Error).message).toContain('--port must be an integer from 0 to 65535');
    }
  });

  it('says clearly when the port is in use', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const err = await program().parseAsync(['node', 'fogsim', 'proxy', 'serve', '--port', String(port)]).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UserError);
      expect((err as Error).message).toBe(`port ${port} on 127.0.0.1 is already in use (another Toxiproxy or fogsim proxy serve?): stop it or choose another --port`);
    } finally {
      blocker.close();
    }
  });

  it('serves the Toxiproxy API until SIGINT, then stops', async () => {
    const lines: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')));
    const run = program().parseAsync(['node', 'fogsim', 'proxy', 'serve', '--port', '0']);
    await vi.waitFor(() => expect(lines.join('\n')).toMatch(/API on http:\/\/127\.0\.0\.1:\d+/), { timeout: 5000 });
    const url = /(http:\/\/127\.0\.0\.1:\d+)/.exec(lines[0]!)![1]!;
    const res = await fetch(`${url}/version`);
    expect(res.status).toBe(200);
    expect(await res.json()).toHaveProperty('version');
    process.emit('SIGINT');
    await run;
    expect(lines.at(-1)).toBe('fogsim proxy: stopped');
    await expect(fetch(`${url}/version`)).rejects.toThrow();
  });
});
