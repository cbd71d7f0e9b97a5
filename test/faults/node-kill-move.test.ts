import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { INTENT_BUCKET } from '../../nodes/actuator.js';
import { S3ObjectStore } from '../../objectstore/s3-object-store.js';
import { waitUntil } from '../helpers/cli.js';
import { closedPort } from '../helpers/ports.js';
import { nodeObjects, S3_KEYS, upSession, waitForGoodRuns, writeFaultScenario, type Placement, type Session } from './scenarios.js';

/*
 * kill -9 of a node in the middle of a move or copy (issue 18, item 9): after the runtime restarts
 * it, no placement is half done. The node is stopped at a failpoint (nodes/failpoint.ts) between
 * the object copy and the row update, or between the row update and the source's deletion, and
 * killed there. Afterwards the objects in the node buckets are exactly the placements' objects,
 * each complete, and no intent is left (nodes/actuator.ts reconciles on the node's start).
 */
const work = mkdtempSync(join(tmpdir(), 'fogsim-faults-node-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function killMidAction(story: 'move' | 'copy', failpoint: 'actuator.after-copy' | 'actuator.after-commit') {
  const dataDir = join(work, `${story}-${failpoint}`);
  const scenario = await writeFaultScenario(dataDir, story);
  const marker = join(dataDir, 'failpoint.pid');
  const s3Port = await closedPort();
  let s: Session | undefined;
  try {
    s = await upSession(dataDir, scenario, { FOGSIM_FAILPOINT: failpoint, FOGSIM_FAILPOINT_FILE: marker }, ['--s3-port', String(s3Port)]);
    const objects = new S3ObjectStore({ host: '127.0.0.1', port: s3Port, accessKey: S3_KEYS.FOGSIM_S3_ACCESS_KEY, secretKey: S3_KEYS.FOGSIM_S3_SECRET_KEY });
    const original = (await s.api<Placement[]>('/placements'))[0];
    const size = (await objects.statObject(original.bucket, original.objectKey))!.size;

    const pid = await waitUntil('the node to reach the failpoint', () => existsSync(marker) && Number(readFileSync(marker, 'utf8')), 60_000);
    process.kill(pid, 'SIGKILL');
    const killedAt = Date.now();
    // the restarted node reconciles before its first run; its runs after that are good (the data is local)
    await waitForGoodRuns(s, killedAt, 3);
    const placements = await s.api<Placement[]>('/placements');
    const expected = story === 'copy' ? 2 : 1;
    expect(placements.length, JSON.stringify(placements)).toBe(expected);
    // app 1 reads a copy on its own node: the action was finished (after the commit) or redone
    const ref1 = placements.find((p) => p.referencedBy.includes(1))!;
    expect(ref1.nodeId).toBe(1);
    // no orphan and no dangling row: the buckets hold exactly the placements' objects, each whole
    expect(await nodeObjects(objects, [1, 2])).toEqual(placements.map((p) => `${p.bucket}/${p.objectKey}`).sort());
    for (const p of placements) expect((await objects.statObject(p.bucket, p.objectKey))?.size).toBe(size);
    expect(await objects.listObjects(INTENT_BUCKET)).toEqual([]);
    // one event per action that happened: the killed one once (committed) or not at all (redone)
    const events = (await s.api<{ items: { actionLabel: string }[] }>('/events')).items;
    expect(events.map((e) => e.actionLabel)).toEqual([story === 'copy' ? 'C2_1' : 'M2_1']);
  } finally {
    await s?.proc.stop();
  }
}

describe('fault: kill -9 of a node in the middle of a move or copy', () => {
  it('killed after copying, before the commit (a copy C2_1): the unpublished object is removed and the copy redone', () => killMidAction('copy', 'actuator.after-copy'), 60_000);
  it('killed after the commit, before deleting the source (a move M2_1): the source object is removed', () => killMidAction('move', 'actuator.after-commit'), 60_000);
});
