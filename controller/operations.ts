import type { Store } from '../db/store.js';
import { errorText, FogsimError, NotFoundError, UserError } from '../model/errors.js';
import type { Goal, LinkRow, NodeRow, AppRow } from '../model/types.js';
import { stepArgs, type RawStep, type Step, type StepSource, type TimelineRow } from '../model/steps.js';
import { checkStep } from '../model/timeline.js';
import { addNodeToStore, API_FIELDS, type AddedNode, type AddNodeInput, type FieldNames } from './add-node.js';
import { bucketForNode } from '../objectstore/object-store.js';
import { planNodeRemoval, type AppRemoval, type NodeRemoval } from '../model/removal.js';

/** DELETE /api/nodes/:id: what the store removed, the objects deleted, and what went wrong beyond the store. */
export interface DeletedNode extends NodeRemoval {
  /** bucket/key of each copy's object deleted from the object store */
  objects: string[];
  /** the node's bucket, when it was deleted (it was empty once the copies' objects went) */
  bucket: string | null;
  /** what could not be done after the store's delete (an app that would not stop, an object left) */
  warnings: string[];
}

/** DELETE /api/apps/:id */
export interface DeletedApp extends AppRemoval {
  warnings: string[];
}

/*
 * The operations the admin UI performs, in one place: the API routes (controller/api/routes.ts)
 * and the timeline (controller/experiment/timeline.ts) both call these, so a step of a scenario's
 * timeline and the same change made by hand are the same code. Each writes the store; what must
 * happen beyond it (an app to stop or start) goes through the orchestrator's hooks, and every
 * change is announced to subscribers (the live feed of the dashboard and the admin page).
 */

export interface OperationHooks {
  /** a node was added (with its app when it has a goal): the orchestrator starts the app */
  onNodeAdded?: (added: AddedNode) => void | Promise<void>;
  /** nodeDown: the app stops (its process or container) */
  stopApp?: (appId: number) => Promise<void>;
  /** nodeUp: the app starts again */
  startApp?: (appId: number) => Promise<void>;
  /** a deleted node's copies: their objects go from the object store (unset: left, and the answer says so) */
  deleteObject?: (bucket: string, key: string) => Promise<void>;
  /** a deleted node's bucket, once its copies' objects are gone: deleted when empty, else kept; absent for a node that had none */
  removeEmptyBucket?: (bucket: string) => Promise<'deleted' | 'kept' | 'absent'>;
}

/** What subscribers hear: the stream's event name and its data (controller/api/stream.ts). */
export type ChangeListener = (event: 'node' | 'link' | 'app' | 'timeline', data: unknown) => void;

export interface ApplyOptions {
  /** also record a step the check refused (the scheduler: a planned step that cannot apply is part of the story) */
  recordRejected?: boolean;
}

export class Operations {
  private readonly listeners = new Set<ChangeListener>();

  constructor(
    readonly store: Store,
    private readonly hooks: OperationHooks = {},
    private readonly now: () => number = Date.now,
  ) {}

  /** Hears every change; returns the call that stops it. */
  subscribe(fn: ChangeListener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private emit(event: Parameters<ChangeListener>[0], data: unknown): void {
    for (const fn of this.listeners) {
      try {
        fn(event, data);
      } catch {
        // a listener's failure is its own
      }
    }
  }

  private async requireNode(id: number): Promise<NodeRow> {
    const node = await this.store.getNode(id);
    if (!node) throw new NotFoundError(`node ${id} does not exist`);
    return node;
  }

  /** A link's latency, both ways (PUT /api/links/:from/:to; step setLatency). */
  async setLatency(from: number, to: number, latencyMs: number): Promise<LinkRow[]> {
    if (from === to) throw new UserError(`to: a node's latency to itself is always 0; pick two different nodes`);
    for (const id of [from, to]) await this.requireNode(id);
    await this.store.setLink(from, to, latencyMs);
    const links = [
      { from, to, latencyMs },
      { from: to, to: from, latencyMs },
    ];
    this.emit('link', links);
    return links;
  }

  /** A node's availability, storage or name (PUT /api/nodes/:id; step setAvailability). */
  async updateNode(id: number, patch: Partial<Pick<NodeRow, 'availability' | 'storage' | 'name'>>): Promise<NodeRow> {
    const node = await this.store.updateNode(id, patch);
    if (!node) throw new NotFoundError(`node ${id} does not exist`);
    this.emit('node', { updated: node });
    return node;
  }

  /** A node with its links and optionally its app (POST /api/nodes; step addNode); the orchestrator starts the app. */
  async addNode(input: AddNodeInput, fields: FieldNames = API_FIELDS): Promise<AddedNode> {
    const added = await addNodeToStore(this.store, input, fields);
    this.emit('node', { added: added.node, links: added.links, app: added.app ?? null });
    // a failing hook is the orchestrator's problem, not the caller's: the node is in the store
    if (this.hooks.onNodeAdded) await Promise.resolve(this.hooks.onNodeAdded(added)).catch(() => undefined);
    return added;
  }

  /**
   * Takes a node down (its copies unreachable: every read of one fails on the reader's proxy,
   * nodes/node.ts measure; its apps stopped) or brings it up (its apps started again).
   */
  async setNodeDown(id: number, down: boolean): Promise<{ node: number; down: boolean; apps: number[] }> {
    await this.requireNode(id);
    await this.store.setNodeDown(id, down, Math.round(this.now()));
    const apps = (await this.store.listApps()).filter((a) => a.nodeId === id).map((a) => a.id).sort((a, b) => a - b);
    const hook = down ? this.hooks.stopApp : this.hooks.startApp;
    const failed: string[] = [];
    for (const app of apps) {
      if (!hook) continue;
      await hook(app).catch((e: unknown) => failed.push(`app ${app}: ${(e as Error).message}`));
    }
    this.emit('node', down ? { down: id, apps } : { up: id, apps });
    if (failed.length) throw new Error(`node ${id} is ${down ? 'down' : 'up'}, but ${failed.length === 1 ? 'its app' : 'some of its apps'} could not ${down ? 'stop' : 'start'}: ${failed.join('; ')}`);
    return { node: id, down, apps };
  }

  /** Stops apps through the hook; returns a warning per app that would not stop. */
  private async stopApps(apps: number[]): Promise<string[]> {
    const warnings: string[] = [];
    for (const app of apps) {
      if (this.hooks.stopApp) await this.hooks.stopApp(app).catch((e: unknown) => warnings.push(`app ${app} could not be stopped: ${(e as Error).message}`));
    }
    return warnings;
  }

  /**
   * Deletes a node (DELETE /api/nodes/:id) as model/removal.ts decides. The rule is checked before
   * any app stops, so a refused delete (409: the last copy of a data set another node's app reads)
   * changes nothing; the store checks it again in its transaction. Then the node's apps stop, the
   * store deletes (recording the node and its apps as removed, so a restart does not seed them
   * back), and the objects of its copies go from the object store.
   */
  async deleteNode(id: number): Promise<DeletedNode> {
    await this.requireNode(id);
    const [apps, copies, links] = await Promise.all([this.store.listApps(), this.store.listCopies(), this.store.listLinks()]);
    const plan = planNodeRemoval(id, apps, copies, links);
    const warnings = await this.stopApps(plan.apps);
    let removal: NodeRemoval;
    try {
      removal = await this.store.deleteNode(id, Math.round(this.now()));
    } catch (e) {
      // the placement changed between the check and the transaction: the node stays, so do its apps
      for (const app of plan.apps) await this.hooks.startApp?.(app).catch(() => undefined);
      throw e;
    }
    const objects: string[] = [];
    const left = new Set((await this.store.listCopies()).map((c) => `${c.bucket}/${c.objectKey}`));
    for (const c of removal.copies) {
      const name = `${c.bucket}/${c.objectKey}`;
      if (left.has(name)) continue; // another row names the same object: it is not this node's alone
      if (!this.hooks.deleteObject) {
        warnings.push(`object ${name} left in the object store (this controller has none attached)`);
        continue;
      }
      await this.hooks.deleteObject(c.bucket, c.objectKey).then(
        () => objects.push(name),
        (e: unknown) => warnings.push(`object ${name} could not be deleted: ${(e as Error).message}`),
      );
    }
    // what fogsim did not put there (or an object another row still names) keeps the bucket
    let bucket: string | null = null;
    if (this.hooks.removeEmptyBucket) {
      const name = bucketForNode(id);
      await this.hooks.removeEmptyBucket(name).then(
        (outcome) => {
          if (outcome === 'deleted') bucket = name;
          else if (outcome === 'kept') warnings.push(`bucket ${name} kept: it still holds objects`);
        },
        (e: unknown) => warnings.push(`bucket ${name} could not be deleted: ${(e as Error).message}`),
      );
    }
    this.emit('node', { deleted: id, apps: removal.apps, repointed: removal.repointed });
    return { ...removal, objects, bucket, warnings };
  }

  /** Deletes an app (DELETE /api/apps/:id): its process stops, the store drops its row and impact vectors; its runs stay; a restart does not seed it back. */
  async deleteApp(id: number): Promise<DeletedApp> {
    if (!(await this.store.listApps()).some((a) => a.id === id)) throw new NotFoundError(`app ${id} does not exist`);
    const warnings = await this.stopApps([id]);
    const removal = await this.store.deleteApp(id, Math.round(this.now()));
    this.emit('app', { deleted: id });
    return { ...removal, warnings };
  }

  /** A link's bandwidth, both ways, KB/s; 0 lifts the limit (step setBandwidth). */
  async setBandwidth(from: number, to: number, rateKBps: number): Promise<{ from: number; to: number; rateKBps: number }[]> {
    if (from === to) throw new UserError(`to: a link joins two different nodes; pick two different nodes`);
    for (const id of [from, to]) await this.requireNode(id);
    await this.store.setBandwidth(from, to, rateKBps);
    const links = [
      { from, to, rateKBps },
      { from: to, to: from, rateKBps },
    ];
    this.emit('link', links);
    return links;
  }

  /** An app's goal; acts on its next run (step setGoal). */
  async setGoal(appId: number, goal: Goal): Promise<AppRow> {
    const app = (await this.store.listApps()).find((a) => a.id === appId);
    if (!app) throw new NotFoundError(`app ${appId} does not exist`);
    const updated: AppRow = { id: app.id, nodeId: app.nodeId, goal };
    await this.store.upsertApp(updated);
    this.emit('app', { updated });
    return updated;
  }

  /**
   * Checks a step against the nodes and apps the store has now (the checks of the scenario's
   * timeline, model/timeline.ts); throws a UserError naming each problem's path under `path`.
   */
  async check(raw: RawStep, path = 'do'): Promise<Step> {
    const [nodes, apps] = await Promise.all([this.store.listNodes(), this.store.listApps()]);
    const problems: string[] = [];
    const step = checkStep(raw, { nodes: new Set(nodes.map((n) => n.id)), apps: new Set(apps.map((a) => a.id)) }, path, problems);
    if (!step) throw new UserError(`cannot apply ${raw.kind}`, problems);
    return step;
  }

  /** Performs a checked step. */
  async perform(step: Step): Promise<unknown> {
    switch (step.kind) {
      case 'setLatency':
        return this.setLatency(step.from, step.to, step.latencyMs);
      case 'setAvailability':
        return this.updateNode(step.node, { availability: step.availability });
      case 'nodeDown':
        return this.setNodeDown(step.node, true);
      case 'nodeUp':
        return this.setNodeDown(step.node, false);
      case 'addNode': {
        const { kind: _kind, ...input } = step;
        return this.addNode(input);
      }
      case 'setBandwidth':
        return this.setBandwidth(step.from, step.to, step.rateKBps);
      case 'setGoal':
        return this.setGoal(step.app, step.goal);
      case 'deleteApp':
        return this.deleteApp(step.app);
      case 'deleteNode':
        return this.deleteNode(step.node);
    }
  }

  /** Records a step as applied (or, with `error`, as tried) and tells the subscribers. */
  async record(step: Step | RawStep, source: StepSource, error: string | null = null): Promise<TimelineRow> {
    const row = await this.store.recordStep({ atMs: Math.round(this.now()), kind: step.kind, args: stepArgs(step as Step), source, error });
    this.emit('timeline', row);
    return row;
  }

  /**
   * One step, the way the timeline and POST /api/timeline apply it: checked, performed, recorded.
   * A step the check refuses throws its UserError (recorded only with `recordRejected`); a step
   * that fails half-way is recorded with its error, then the error is thrown.
   */
  async apply(raw: RawStep, source: StepSource, o: ApplyOptions = {}): Promise<{ row: TimelineRow; result: unknown }> {
    let step: Step;
    try {
      step = await this.check(raw);
    } catch (e) {
      if (o.recordRejected) await this.record(raw, source, errorText(e));
      throw e;
    }
    let result: unknown;
    try {
      result = await this.perform(step);
    } catch (e) {
      await this.record(step, source, errorText(e));
      throw e;
    }
    return { row: await this.record(step, source), result };
  }
}

