import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { timingSafeEqual } from 'node:crypto';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { Store } from '../db/store.js';
import { UserError } from '../model/errors.js';
import type { Scenario } from '../model/scenario.js';
import type { TelemetrySubscriber } from '../telemetry/bus.js';
import { readAdminToken } from '../util/config.js';
import { createLogger, type Logger } from '../util/logger.js';
import type { AddedNode } from './add-node.js';
import { Operations } from './operations.js';
import type { NodeStatus } from './runtime/runtime.js';
import { errorHandler } from './api/errors.js';
import { apiRoutes } from './api/routes.js';
import { API_BASE } from './api/spec.js';
import { LiveFeed, type ConvergenceState } from './api/stream.js';
import { readConvergence } from './experiment/convergence.js';
import type { StreamRun } from '../stream/app/run.js';

export interface ControllerOptions {
  store: Store;
  scenario?: Scenario;
  telemetry?: TelemetrySubscriber;
  /** when set, every write (POST/PUT/PATCH/DELETE) needs `Authorization: Bearer <token>` */
  token?: string;
  /**
   * bound to a loopback address: a write must name this machine in Host and, when it has one, come
   * from the same origin, so a web page the user opens (a DNS-rebinding one too) cannot write
   */
  loopbackOnly?: boolean;
  /** convergence as the orchestrator judges it; default: computed from the store (decision/convergence.ts) */
  convergence?: () => ConvergenceState | Promise<ConvergenceState>;
  /** called after POST /api/nodes wrote a node: the orchestrator starts its app process (when no `operations` are given) */
  onNodeAdded?: (added: AddedNode) => void | Promise<void>;
  /**
   * the operations the API performs, shared with the session's timeline (controller/operations.ts);
   * default: operations on `store` whose only hook is onNodeAdded (no apps to stop or start)
   */
  operations?: Operations;
  /** the strategy in use, shown by the dashboard (default: the scenario's `strategy`, else original) */
  strategy?: string;
  /** every app's node process or container as the runtime sees it (controller/session.ts nodeStatus): GET /api/nodes shows it */
  nodeStatus?: () => NodeStatus[];
  /** the session's namespace on the proxy server (FOGSIM_SESSION), shown by /api/health */
  session?: string;
  /**
   * the session's stream apps (controller/session.ts streams): each closed window goes out on
   * /api/stream as a `stream-window` event, GET /api/stream-apps shows the latest windows
   */
  streams?: Pick<StreamRun, 'subscribe' | 'snapshot'>;
  /** store polling period of the live stream */
  pollMs?: number;
  logger?: Logger;
}

export interface ControllerApp extends Express {
  /** the live feed behind /api/stream; `close()` ends every open stream */
  feed: LiveFeed;
  /** stops hearing the operations (the server closes) */
  detach(): void;
}

/** The folder holding index.html: controller/ui beside the sources, also when running from dist/. */
function findUiDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  if (existsSync(join(dir, 'ui', 'index.html'))) return join(dir, 'ui');
  for (let i = 0; i < 4; i++) {
    dir = dirname(dir);
    const candidate = join(dir, 'controller', 'ui');
    if (existsSync(join(candidate, 'index.html'))) return candidate;
  }
  throw new Error('controller/ui/index.html not found beside the controller; is the package complete?');
}

function chartJsDir(): string {
  // chart.js's exports map hides the UMD file from resolution, so resolve the package and step to dist/.
  const require = createRequire(import.meta.url);
  return dirname(require.resolve('chart.js'));
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

/** The host name of a Host header or an origin's authority, without port or IPv6 brackets. */
function hostName(authority: string): string {
  const a = authority.trim().toLowerCase();
  if (a.startsWith('[')) return a.slice(1, a.indexOf(']') > 0 ? a.indexOf(']') : undefined);
  return a.replace(/:\d*$/, '');
}

/** host:port of an Origin header; undefined for `null` (a file, a sandbox) or one that is not a URL. */
function originHost(origin: string): string | undefined {
  try {
    return new URL(origin).host.toLowerCase() || undefined;
  } catch {
    return undefined;
  }
}

const isWrite = (method: string) => method !== 'GET' && method !== 'HEAD' && method !== 'OPTIONS';

/**
 * Checked before a session starts anything (cli/actions/up.ts) and again when the server listens:
 * a controller reachable from the network needs a token for its writes.
 */
export function checkExposure(host: string, token: string | undefined): void {
  if (!isLoopback(host) && !token) {
    throw new UserError(`--host ${host}: the controller would accept writes from the network; set FOGSIM_ADMIN_TOKEN to a secret token (writes then need Authorization: Bearer <token>) or bind 127.0.0.1`);
  }
}

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function createControllerApp(o: ControllerOptions): ControllerApp {
  const log = o.logger ?? createLogger('controller');
  const windowRuns = o.scenario?.convergence.windowRuns ?? 3;
  const fromStore = () => readConvergence(o.store, windowRuns);
  const convergence = async (): Promise<ConvergenceState> => (o.convergence ? await o.convergence() : await fromStore());
  const feed = new LiveFeed(o.store, convergence, log, o.telemetry, o.pollMs ?? 500);
  const operations = o.operations ?? new Operations(o.store, { onNodeAdded: o.onNodeAdded });
  // every change the operations make reaches the open streams (the timeline's steps too)
  const unsubscribeOps = operations.subscribe((event, data) => feed.announce(event, data));
  const unsubscribeStreams = o.streams?.subscribe((e) => feed.broadcast('stream-window', e));
  const unsubscribe = () => {
    unsubscribeOps();
    unsubscribeStreams?.();
  };
  const scenarioStrategy = (o.scenario as { strategy?: unknown } | undefined)?.strategy;
  const strategy = o.strategy ?? (typeof scenarioStrategy === 'string' ? scenarioStrategy : undefined);
  // Started lazily on the first request so that creating the app stays synchronous.
  let ready: Promise<void> | undefined;

  const app = express() as unknown as ControllerApp;
  app.feed = feed;
  app.detach = unsubscribe;
  app.disable('x-powered-by');
  app.set('json spaces', 0);

  app.use((req: Request, res: Response, next: NextFunction) => {
    if (!o.loopbackOnly || !isWrite(req.method)) return next();
    const host = req.get('host') ?? '';
    if (!isLoopback(hostName(host))) {
      res.status(403).json({ error: `host: this controller listens on loopback and takes writes addressed to it (127.0.0.1, localhost, [::1]), not to ${JSON.stringify(host)}` });
      return;
    }
    // no Origin: a client that is not a browser (curl, the CLI); a browser's must be this controller's
    const origin = req.get('origin');
    if (origin !== undefined && originHost(origin) !== host.trim().toLowerCase()) {
      res.status(403).json({ error: `origin: writes come from this controller's own pages (http://${host}), not from ${JSON.stringify(origin)}` });
      return;
    }
    next();
  });

  app.use((req: Request, res: Response, next: NextFunction) => {
    if (!o.token || !isWrite(req.method)) return next();
    const auth = req.get('authorization') ?? '';
    const m = /^Bearer\s+(.+)$/i.exec(auth);
    if (!m || !sameToken(m[1].trim(), o.token)) {
      res.status(401).json({ error: 'authorization: this controller needs a token for writes; send Authorization: Bearer <FOGSIM_ADMIN_TOKEN>' });
      return;
    }
    next();
  });

  app.use(API_BASE, (_req, _res, next) => {
    ready ??= feed.start().catch((e: unknown) => {
      ready = undefined;
      throw e;
    });
    ready.then(() => next(), next);
  });
  app.use(API_BASE, express.json({ limit: '256kb' }));
  app.use(
    API_BASE,
    apiRoutes({ store: o.store, feed, convergence, scenarioName: o.scenario?.name, scenario: o.scenario, strategy, session: o.session, nodeStatus: o.nodeStatus, operations, streams: o.streams, startedAtMs: Date.now() }),
  );

  const ui = findUiDir();
  app.use('/vendor', express.static(chartJsDir(), { maxAge: '1h', index: false }));
  app.get('/dashboard', (_req, res) => res.sendFile(join(ui, 'dashboard.html')));
  app.use(express.static(ui, { index: 'index.html' }));
  app.use(errorHandler(log));
  return app;
}

export interface StartOptions extends ControllerOptions {
  /** default 127.0.0.1; any other address needs a token */
  host?: string;
  /** 0 picks a free port */
  port: number;
}

export interface RunningController {
  url: string;
  port: number;
  app: ControllerApp;
  close(): Promise<void>;
}

/** Starts the controller's HTTP server; a port in use or a public address without a token is a UserError. */
export async function startControllerServer(o: StartOptions): Promise<RunningController> {
  const host = o.host ?? '127.0.0.1';
  const token = o.token ?? readAdminToken();
  checkExposure(host, token);
  const app = createControllerApp({ ...o, token, loopbackOnly: isLoopback(host) });
  const server: Server = await new Promise((resolveServer, reject) => {
    const s = app.listen(o.port, host);
    s.once('listening', () => resolveServer(s));
    s.once('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EADDRINUSE') reject(new UserError(`--port ${o.port}: port ${o.port} on ${host} is already in use (another fogsim up?); stop it or pick another port`));
      else if (e.code === 'EADDRNOTAVAIL' || e.code === 'ENOTFOUND') reject(new UserError(`--host ${host}: not an address of this machine`));
      else if (e.code === 'EACCES') reject(new UserError(`--port ${o.port}: not allowed to listen there; pick a port above 1023`));
      else reject(e);
    });
  });
  const port = (server.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  return {
    url: `http://${shownHost}:${port}`,
    port,
    app,
    close: () =>
      new Promise<void>((done) => {
        app.feed.close();
        app.detach();
        server.close(() => done());
        server.closeAllConnections();
      }),
  };
}

