import { EventEmitter } from 'node:events';
import { existsSync, statSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { dirname, isAbsolute, resolve, sep } from 'node:path';
import { randomBytes } from 'node:crypto';
import Docker from 'dockerode';
import { UnavailableError, UserError } from '../../model/errors.js';
import { readDockerHost, readLogLevel } from '../../util/config.js';
import type { NodeRuntime, NodeSpec, NodeStatus } from './runtime.js';
import { DEFAULT_CRASH_POLICY, handleCrash } from './crash-policy.js';
import { lastNodeFailure, type NodeFailure } from '../../nodes/failure.js';

/*
 * Each app is a container of the node image, created and watched through dockerode. The runtime
 * restarts crashed containers itself (Docker's restart policy stays 'no'): with Docker restarting
 * them the controller would never see the crash, and the 'crash' / 'restart' events and the
 * give-up rule must be the same as the process runtime's.
 */

export const DEFAULT_NODE_IMAGE = 'fogsim-node:local';

/**
 * The text of a container's log as the engine sends it for a container without a TTY: frames of
 * an 8-byte header (stream type, 3 zero bytes, payload length big-endian) and the payload. A log
 * that is not framed so (a TTY container) is taken as text.
 */
export function dockerLogText(buf: Buffer): string {
  const parts: Buffer[] = [];
  let at = 0;
  while (at + 8 <= buf.length) {
    const type = buf[at];
    if (type > 2 || buf[at + 1] !== 0 || buf[at + 2] !== 0 || buf[at + 3] !== 0) return buf.toString('utf8');
    const len = buf.readUInt32BE(at + 4);
    parts.push(buf.subarray(at + 8, Math.min(buf.length, at + 8 + len)));
    at += 8 + len;
  }
  return at === 0 && buf.length ? buf.toString('utf8') : Buffer.concat(parts).toString('utf8');
}

/** Labels on every container the runtime creates, so it (and a test, and a human) can find its own. */
export const LABEL_MANAGED = 'fogsim.managed';
export const LABEL_APP = 'fogsim.app';
export const LABEL_SESSION = 'fogsim.session';

export interface DockerRuntimeOptions {
  /** image of the node (default fogsim-node:local: nodes/Dockerfile, or scripts/docker/build-local-node-image.sh) */
  image?: string;
  /** 'host' (default: the node reaches the controller's servers on 127.0.0.1) or a named network */
  networkMode?: string;
  /** an engine connection; default: dockerode's defaults (DOCKER_HOST, else /var/run/docker.sock) */
  docker?: Docker;
  /** groups this runtime's containers (label fogsim.session, container names); default random */
  sessionId?: string;
  /**
   * Bind-mount the absolute host paths named by FOGSIM_* variables of the node (data dir, SQLite
   * file's folder, scenario file's folder) at the same path in the container, so the embedded
   * store and the scenario work unchanged. Default true; off for a remote engine.
   */
  mountHostPaths?: boolean;
  /** extra binds, Docker syntax (`/host:/container[:ro]`) */
  binds?: string[];
  /**
   * user in the container; default: the image's (non-root) user, or this process's uid:gid when
   * host paths are mounted, so files the node writes there stay the controller's
   */
  user?: string;
  /** the node's output: copied to this process's stdout/stderr (default) or dropped */
  logs?: 'inherit' | 'ignore';
  restartDelayMs?: number;
  /** a node that crashes this many times within `crashWindowMs` is given up on */
  maxCrashes?: number;
  crashWindowMs?: number;
  /** how long a node gets to exit after SIGTERM before Docker kills it */
  stopGraceMs?: number;
}

interface Managed {
  spec: NodeSpec;
  container: Docker.Container;
  status: NodeStatus;
  stopping: boolean;
  restartTimer?: NodeJS.Timeout;
  crashTimes: number[];
  /** settles when the current run of the container has been seen to exit */
  exited?: Promise<void>;
}

export class DockerRuntime extends EventEmitter implements NodeRuntime {
  readonly kind = 'docker' as const;
  readonly sessionId: string;
  readonly image: string;
  private readonly docker: Docker;
  private readonly nodes = new Map<number, Managed>();
  private readonly opts: Required<Omit<DockerRuntimeOptions, 'docker' | 'sessionId' | 'image' | 'user'>> & { user?: string };
  private checked = false;

  constructor(opts: DockerRuntimeOptions = {}) {
    super();
    this.docker = opts.docker ?? new Docker();
    this.sessionId = opts.sessionId ?? randomBytes(4).toString('hex');
    if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(this.sessionId)) throw new UserError(`sessionId "${this.sessionId}" must be letters, digits, '_', '.', '-' (it is part of container names)`);
    this.image = opts.image ?? DEFAULT_NODE_IMAGE;
    this.opts = {
      networkMode: opts.networkMode ?? 'host',
      mountHostPaths: opts.mountHostPaths ?? true,
      binds: opts.binds ?? [],
      user: opts.user,
      logs: opts.logs ?? 'inherit',
      restartDelayMs: opts.restartDelayMs ?? DEFAULT_CRASH_POLICY.restartDelayMs,
      maxCrashes: opts.maxCrashes ?? DEFAULT_CRASH_POLICY.maxCrashes,
      crashWindowMs: opts.crashWindowMs ?? DEFAULT_CRASH_POLICY.crashWindowMs,
      stopGraceMs: opts.stopGraceMs ?? 5000,
    };
  }

  containerName(appId: number): string {
    return `fogsim-${this.sessionId}-app${appId}`;
  }

  async start(spec: NodeSpec): Promise<void> {
    const existing = this.nodes.get(spec.appId);
    if (existing && !existing.stopping && existing.status.state !== 'failed') throw new Error(`node of app ${spec.appId} is already running`);
    await this.preflight();
    const name = this.containerName(spec.appId);
    // a container of this name left by an earlier controller of the same session: ours, replace it
    await this.removeContainer(this.docker.getContainer(name));
    const binds = [...this.opts.binds, ...(this.opts.mountHostPaths ? hostPathBinds(spec.env) : [])];
    const user = this.opts.user ?? (this.opts.mountHostPaths && binds.length && process.getuid ? `${process.getuid()}:${process.getgid!()}` : undefined);
    const level = readLogLevel();
    const env = { ...(level ? { FOGSIM_LOG_LEVEL: level } : {}), ...spec.env };
    const container = await this.call(`creating the container of app ${spec.appId}`, () =>
      this.docker.createContainer({
        name,
        Image: this.image,
        Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
        Labels: { [LABEL_MANAGED]: 'true', [LABEL_APP]: String(spec.appId), [LABEL_SESSION]: this.sessionId },
        ...(user ? { User: user } : {}),
        // SIGTERM is what nodes/main.ts stops cleanly on
        StopSignal: 'SIGTERM',
        StopTimeout: Math.ceil(this.opts.stopGraceMs / 1000),
        HostConfig: {
          NetworkMode: this.opts.networkMode,
          Binds: binds,
          RestartPolicy: { Name: 'no' },
        },
      }),
    );
    const m: Managed = { spec, container, status: { appId: spec.appId, state: 'starting', restarts: 0, handle: container.id }, stopping: false, crashTimes: [] };
    this.nodes.set(spec.appId, m);
    try {
      await this.run(m);
    } catch (e) {
      this.nodes.delete(spec.appId);
      await this.removeContainer(container);
      throw e;
    }
  }

  /** Starts the container (again) and watches for its exit. */
  private async run(m: Managed): Promise<void> {
    if (this.opts.logs === 'inherit') {
      // attached before start, so no early output is lost; the stream ends when the container stops
      const stream = await this.call('attaching to the node output', () => m.container.attach({ stream: true, stdout: true, stderr: true }));
      this.docker.modem.demuxStream(stream, process.stdout, process.stderr);
    }
    delete m.status.error;
    delete m.status.errorKind;
    await this.call(`starting the container of app ${m.spec.appId}`, () => m.container.start());
    m.status.state = 'running';
    m.exited = this.watch(m);
  }

  private async watch(m: Managed): Promise<void> {
    let code: number | null = null;
    try {
      const r = (await m.container.wait({ condition: 'not-running' })) as { StatusCode?: number };
      code = typeof r.StatusCode === 'number' ? r.StatusCode : null;
    } catch {
      // the engine went away or the container was removed under us: count it as an exit
      code = null;
    }
    // Docker reports a death by signal as 128 + signal number
    const signal = code !== null && code > 128 ? (signalName(code - 128) ?? null) : null;
    m.status.lastExit = { code, signal, atMs: Date.now() };
    if (m.stopping) {
      m.status.state = 'stopped';
      return;
    }
    // the node says why it exits on its last lines (nodes/failure.ts): kept, and it is not restarted
    const failure = code !== 0 ? await this.failureOf(m) : undefined;
    if (failure && !m.stopping) {
      m.status.error = failure.message;
      m.status.errorKind = failure.kind ?? 'strategy';
    }
    this.crashed(m);
  }

  /** The failure line among the container's last stderr lines, if it wrote one. */
  private async failureOf(m: Managed): Promise<NodeFailure | undefined> {
    try {
      const out = (await m.container.logs({ stdout: false, stderr: true, follow: false, tail: 50 })) as unknown as Buffer;
      return lastNodeFailure(dockerLogText(out));
    } catch {
      // the container is gone or the engine went away: a crash without a reason, restarted as such
      return undefined;
    }
  }

  private crashed(m: Managed): void {
    handleCrash(this, m, this.opts, () => {
      this.run(m).then(
        () => {
          if (!m.stopping) this.emit('restart', { ...m.status });
        },
        () => {
          // could not start it again (engine down, container removed): that is another crash
          if (m.stopping) return;
          m.status.lastExit = { code: null, signal: null, atMs: Date.now() };
          this.crashed(m);
        },
      );
    });
  }

  async stop(appId: number): Promise<void> {
    const m = this.nodes.get(appId);
    if (!m) return;
    m.stopping = true;
    clearTimeout(m.restartTimer);
    try {
      await m.container.stop({ t: Math.ceil(this.opts.stopGraceMs / 1000) });
    } catch (e) {
      // 304: already stopped; 404: already gone
      if (!isStatus(e, 304) && !isStatus(e, 404) && !isEngineDown(e)) throw e;
    }
    await m.exited?.catch(() => undefined);
    m.status.state = 'stopped';
    await this.removeContainer(m.container);
    this.nodes.delete(appId);
  }

  /** Stops every node of this runtime and removes every container of its session, also strays. */
  async stopAll(): Promise<void> {
    await Promise.all([...this.nodes.keys()].map((id) => this.stop(id)));
    let strays: Docker.ContainerInfo[] = [];
    try {
      strays = await this.docker.listContainers({ all: true, filters: { label: [`${LABEL_MANAGED}=true`, `${LABEL_SESSION}=${this.sessionId}`] } });
    } catch (e) {
      if (isEngineDown(e)) return;
      throw e;
    }
    await Promise.all(strays.map((c) => this.removeContainer(this.docker.getContainer(c.Id))));
  }

  list(): NodeStatus[] {
    return [...this.nodes.values()].map((m) => ({ ...m.status, ...(m.status.lastExit ? { lastExit: { ...m.status.lastExit } } : {}) }));
  }

  /** Once: the engine answers and has the image; else a UserError saying what to do. */
  private async preflight(): Promise<void> {
    if (this.checked) return;
    await this.call('contacting the Docker engine', () => this.docker.ping());
    try {
      await this.docker.getImage(this.image).inspect();
    } catch (e) {
      if (isStatus(e, 404)) {
        throw new UserError(
          `the node image ${this.image} is not in the Docker engine at ${engineAddress()}; build it: docker build -f nodes/Dockerfile -t ${this.image} . (needs a registry for node:20-slim), or without a registry: npm run build && scripts/docker/build-local-node-image.sh`,
        );
      }
      throw await this.wrap(e, 'inspecting the node image');
    }
    this.checked = true;
  }

  private async removeContainer(c: Docker.Container): Promise<void> {
    try {
      await c.remove({ force: true, v: true });
    } catch (e) {
      // 404: not there; 409: removal already in progress
      if (!isStatus(e, 404) && !isStatus(e, 409) && !isEngineDown(e)) throw e;
    }
  }

  private async call<T>(what: string, f: () => Promise<T>): Promise<T> {
    try {
      return await f();
    } catch (e) {
      throw await this.wrap(e, what);
    }
  }

  private async wrap(e: unknown, what: string): Promise<Error> {
    if (isEngineDown(e)) {
      return new UnavailableError(
        `no Docker engine answers at ${engineAddress()} (${(e as Error).message}) while ${what}: start one (scripts/docker/engine.sh start) and point DOCKER_HOST at it (eval "$(scripts/docker/engine.sh env)"), or use --runtime process`,
      );
    }
    return new Error(`Docker: ${what} failed: ${(e as Error).message}`, { cause: e });
  }
}

function engineAddress(): string {
  const host = readDockerHost();
  return host ? `DOCKER_HOST=${host}` : 'unix:///var/run/docker.sock (DOCKER_HOST is unset)';
}

function isStatus(e: unknown, code: number): boolean {
  return (e as { statusCode?: number } | null)?.statusCode === code;
}

function isEngineDown(e: unknown): boolean {
  const code = (e as { code?: string } | null)?.code;
  return code === 'ECONNREFUSED' || code === 'ENOENT' || code === 'EACCES' || code === 'ECONNRESET' || code === 'EHOSTUNREACH' || code === 'ETIMEDOUT';
}

function signalName(n: number): string | undefined {
  return Object.entries(osConstants.signals).find(([, v]) => v === n)?.[0];
}

/** Read-only: the node reads its scenario but never writes it. */
const READ_ONLY_KEYS = new Set(['FOGSIM_SCENARIO']);

/**
 * Binds for the absolute host paths in a node's FOGSIM_* environment: a folder as itself, a
 * file as its folder (SQLite needs its -wal/-shm files beside the database). A path inside
 * another bound folder needs no bind of its own.
 */
export function hostPathBinds(env: Record<string, string>): string[] {
  const wanted = new Map<string, boolean>(); // folder -> read-only
  for (const [k, v] of Object.entries(env)) {
    if (!k.startsWith('FOGSIM_') || !v || !isAbsolute(v) || !existsSync(v)) continue;
    const dir = resolve(statSync(v).isDirectory() ? v : dirname(v));
    if (dir === '/') continue;
    const ro = READ_ONLY_KEYS.has(k);
    wanted.set(dir, (wanted.get(dir) ?? true) && ro);
  }
  const dirs = [...wanted.keys()].sort((a, b) => a.length - b.length);
  const kept: string[] = [];
  for (const d of dirs) {
    const parent = kept.find((p) => d.startsWith(p + sep));
    if (parent && !wanted.get(parent)) continue; // covered by a writable parent
    kept.push(d);
  }
  return kept.map((d) => `${d}:${d}${wanted.get(d) ? ':ro' : ''}`);
}
