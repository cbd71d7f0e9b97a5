/**
 * A stream app's data-path metrics (issue 19 item 3): each window carries the link latency between
 * the app's node and the bus's node (`pathLatency`) and the bus node's availability, as the store
 * holds them when the window closes (admin edits and a node taken down included), and goals
 * can be set over them like over the other window metrics.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { datasetText } from '../../dataset/generate.js';
import { SqliteStore } from '../../db/sqlite-store.js';
import { parseScenario } from '../../model/scenario.js';
import { EmbeddedBus } from '../../stream/embedded-bus.js';
import { embeddedPath, storeLatency } from '../../stream/data-path.js';
import { startStreams } from '../../stream/app/run.js';

const dir = mkdtempSync(join(tmpdir(), 'fogsim-stream-path-'));
const datasetFile = join(dir, 'bloodtests.json');
writeFileSync(datasetFile, [...datasetText(200, 3)].join(''));
const closers: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of closers.reverse()) await c().catch(() => {});
});

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('stream app: data-path metrics per window', () => {
  it('pathLatency and availability follow the store; a goal over availability is checked on them', async () => {
    const s = parseScenario({
      nodes: [
        { id: 1, availability: 99 },
        { id: 2, availability: 90 },
      ],
      links: [{ from: 1, to: 2, latencyMs: 40 }],
      dataset: { node: 1 },
      stream: { busNode: 2 },
      apps: [{ kind: 'stream', id: 1, node: 1, topic: 't', windowS: 0.5, costMs: 0.1, maxWorkers: 2, goal: { metric: 'availability', min: 95 }, scale: { rule: 'autoscaler', violationsInARow: 1000 } }],
      workloads: [{ id: 'w', topic: 't', partitions: 2, source: { kind: 'bloodtests' }, rate: 100, batch: 10, nodes: [2] }],
    });
    const store = new SqliteStore(join(dir, 'fogsim.db'));
    closers.push(() => store.close());
    await store.migrate();
    await store.seedScenario(s);
    const bus = new EmbeddedBus();
    closers.push(() => bus.close());
    const path = embeddedPath(bus, s.stream.busNode, storeLatency(store, s.stream.busNode, s));
    const run = await startStreams({ bus, scenario: s, datasetFile, store, path });
    await wait(1600);
    // the admin raises the bus node's availability and the link's latency; then takes the node down
    await store.updateNode(2, { availability: 97 });
    await store.setLink(1, 2, 120);
    await wait(1600);
    await store.setNodeDown(2, true, Date.now());
    await wait(1200);
    const report = await run.stop(5000);
    const ws = report.apps[0]!.windows;
    expect(ws.length).toBeGreaterThanOrEqual(6);
    const first = ws[0]!;
    expect(first).toMatchObject({ pathLatencyMs: 40, availability: 90, goalMet: false });
    expect(first.violated).toEqual(['availability >= 95']);
    const edited = ws.find((w) => w.pathLatencyMs === 120 && w.availability === 97);
    expect(edited, JSON.stringify(ws.map((w) => [w.pathLatencyMs, w.availability]))).toBeDefined();
    expect(edited!.goalMet).toBe(true);
    const down = ws.at(-1)!;
    expect(down.availability).toBe(0);
    expect(down.goalMet).toBe(false);
    expect(report.apps[0]!.node).toBe(1);
  }, 30_000);
});
