import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

/*
 * The real stack's files, checked without an engine: docker-compose.yml's services, health checks,
 * start order, ports and volumes; both Dockerfiles' bases, stages and users; and every variable
 * the compose file reads documented for the user in .env.example and README.md.
 */

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[] | string;
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  healthcheck?: { test: string[] | string; interval?: string; retries?: number };
  depends_on?: Record<string, { condition: string }> | string[];
  restart?: string;
  deploy?: { restart_policy?: { condition: string }; placement?: { constraints: string[] } };
}

const composeText = readFileSync('docker-compose.yml', 'utf8');
const overrideText = readFileSync('docker-compose.override.yml', 'utf8');
// merge: the files share settings through YAML anchors and `<<:` merge keys
const base = parse(composeText, { merge: true }) as { services: Record<string, Service>; volumes: Record<string, unknown> };
const override = parse(overrideText, { merge: true }) as { services: Record<string, Partial<Service>> };
/** What `docker compose` runs: docker-compose.yml with docker-compose.override.yml over it, key by key. */
const services: Record<string, Service> = Object.fromEntries(Object.entries(base.services).map(([name, svc]) => [name, { ...svc, ...override.services[name] }]));
const compose = { ...base, services };
const SERVERS = ['mysql', 'minio', 'toxiproxy', 'kafka'];
const NODES = ['node1', 'node2', 'node3'];

/** `${FOGSIM_X_IMAGE:-public}`: the public image a user with a registry gets. */
const IMAGE_VAR = /^\$\{(FOGSIM_[A-Z]+_IMAGE):-([^}]+)\}$/;
function publicImage(image: string | undefined): string | undefined {
  return image === undefined ? undefined : (IMAGE_VAR.exec(image)?.[2] ?? image);
}

describe('docker-compose.yml', () => {
  it('names every image by a variable, its public image the default (scripts/docker/build-local-images.sh prints local ones)', () => {
    for (const [name, svc] of Object.entries(services)) {
      const m = IMAGE_VAR.exec(svc.image ?? '');
      expect(m, `${name}.image ${svc.image}`).not.toBeNull();
      expect(m![1], `${name}.image`).toBe(`FOGSIM_${/^node\d+$/.test(name) ? 'NODE' : name.toUpperCase()}_IMAGE`);
    }
    // the local stand-ins cover exactly the variables the file reads
    const printed = execFileSync('bash', ['scripts/docker/build-local-images.sh', 'env'], { encoding: 'utf8' }).trim().split('\n').map((l) => l.split('=')[0]);
    const read = [...new Set(Object.values(services).map((svc) => IMAGE_VAR.exec(svc.image!)![1]!))];
    expect(printed.sort()).toEqual(read.sort());
  });

  it('has the servers, adminer, the controller and three nodes', () => {
    expect(Object.keys(services).sort()).toEqual(['adminer', 'controller', 'kafka', 'minio', 'mysql', 'node1', 'node2', 'node3', 'toxiproxy'].sort());
    expect(publicImage(services.mysql.image)).toMatch(/^mysql:8/);
    expect(publicImage(services.kafka.image)).toMatch(/kafka/);
    expect(services.controller.build).toEqual({ context: '.', dockerfile: 'Dockerfile' });
    // the nodes are compose services here, so the controller must not start node containers too
    expect(services.controller.command).toEqual(expect.arrayContaining(['up', '--runtime', 'none']));
  });

  it('every node runs the node image with its own app id and the same servers as the controller', () => {
    const ids = NODES.map((n) => services[n].environment?.FOGSIM_APP_ID);
    expect(ids).toEqual(['1', '2', '3']);
    for (const n of NODES) {
      expect(services[n].build).toEqual({ context: '.', dockerfile: 'nodes/Dockerfile' });
      const env = services[n].environment!;
      for (const k of ['FOGSIM_SCENARIO', 'FOGSIM_MYSQL_URL', 'FOGSIM_S3_ENDPOINT', 'FOGSIM_TOXIPROXY_URL', 'FOGSIM_KAFKA_BROKERS', 'FOGSIM_PROXY_HOST']) {
        expect(env[k], `${n}.environment.${k}`).toBe(services.controller.environment![k]);
      }
    }
  });

  it('the servers and the controller have health checks', () => {
    for (const s of [...SERVERS, 'controller']) {
      const hc = services[s].healthcheck;
      expect(hc, `${s}.healthcheck`).toBeDefined();
      expect(Array.isArray(hc!.test) ? hc!.test.length : hc!.test.length, `${s}.healthcheck.test`).toBeGreaterThan(0);
      expect(hc!.retries, `${s}.healthcheck.retries`).toBeGreaterThan(0);
    }
    // the controller is healthy when its API answers
    expect(JSON.stringify(services.controller.healthcheck!.test)).toContain('/api/health');
  });

  it('starts in order: the controller after healthy servers, the nodes after a healthy controller', () => {
    const after = (svc: string) => services[svc].depends_on as Record<string, { condition: string }>;
    for (const s of SERVERS) expect(after('controller')[s], `controller.depends_on.${s}`).toEqual({ condition: 'service_healthy' });
    for (const n of NODES) expect(after(n).controller, `${n}.depends_on.controller`).toEqual({ condition: 'service_healthy' });
    expect(after('adminer').mysql).toEqual({ condition: 'service_healthy' });
    // the controller exits on a bad setting: compose must not restart it (up --wait then fails);
    // nodes restart when they fail, not when they exit 0 (stopped, or their app deleted)
    expect(services.controller.restart).toBe('no');
    for (const n of NODES) expect(services[n].restart, `${n}.restart`).toBe('on-failure');
  });

  it('binds every host port to 127.0.0.1', () => {
    const ports = Object.entries(services).flatMap(([name, s]) => (s.ports ?? []).map((p) => [name, p] as const));
    expect(ports.length).toBeGreaterThanOrEqual(6);
    for (const [name, p] of ports) expect(p, `${name}.ports`).toMatch(/^127\.0\.0\.1:/);
  });

  it('keeps server state in declared named volumes', () => {
    for (const s of ['mysql', 'minio', 'kafka', 'controller']) {
      const named = (services[s].volumes ?? []).map((v) => v.split(':')[0]).filter((src) => !src.startsWith('.') && !src.startsWith('/'));
      expect(named.length, `${s}.volumes: a named volume`).toBeGreaterThan(0);
      for (const v of named) expect(Object.keys(compose.volumes), `volumes.${v}`).toContain(v);
    }
  });

  it('documents every variable it reads in .env.example and README.md', () => {
    const vars = [...new Set([...composeText.matchAll(/\$\{([A-Z0-9_]+)/g)].map((m) => m[1]))];
    expect(vars).toContain('FOGSIM_ADMIN_TOKEN');
    const example = readFileSync('.env.example', 'utf8');
    const readme = readFileSync('README.md', 'utf8');
    const notInExample = vars.filter((v) => !new RegExp(`^${v}=`, 'm').test(example));
    const notInReadme = vars.filter((v) => !readme.includes(v));
    expect(notInExample, 'missing from .env.example').toEqual([]);
    expect(notInReadme, 'missing from README.md').toEqual([]);
    // and .env.example sets nothing the compose file ignores
    const set = [...example.matchAll(/^([A-Z0-9_]+)=/gm)].map((m) => m[1]);
    expect(set.filter((v) => !vars.includes(v)), 'set in .env.example but unused').toEqual([]);
  });

  it('the override only refines services of docker-compose.yml, and keeps what a swarm refuses or ignores', () => {
    for (const name of Object.keys(override.services)) expect(Object.keys(base.services), `override of ${name}`).toContain(name);
    for (const [name, svc] of Object.entries(base.services)) {
      expect(svc.build, `${name}.build in docker-compose.yml (a swarm ignores it)`).toBeUndefined();
      expect(svc.restart, `${name}.restart in docker-compose.yml (a swarm ignores it)`).toBeUndefined();
      if (svc.depends_on) expect(Array.isArray(svc.depends_on), `${name}.depends_on in docker-compose.yml: a list (a swarm refuses conditions)`).toBe(true);
    }
  });

  it('deploys on a swarm: servers and controller on a manager, fog node N on the machine labelled fogsim.nodeN', () => {
    for (const s of [...SERVERS, 'controller', 'adminer']) {
      expect(base.services[s].deploy?.placement?.constraints, `${s}.deploy.placement`).toEqual(['node.role == manager']);
      expect(base.services[s].deploy?.restart_policy?.condition, `${s}.deploy.restart_policy`).toBe('any');
    }
    NODES.forEach((n, i) => {
      expect(base.services[n].deploy?.placement?.constraints, `${n}.deploy.placement`).toEqual([`node.labels.fogsim.node${i + 1} == true`]);
      expect(base.services[n].deploy?.restart_policy?.condition, `${n}.deploy.restart_policy`).toBe('on-failure');
    });
  });

  // the docker CLI's own stack loader (no engine needed) is the judge of what a swarm accepts
  const hasDocker = spawnSync('docker', ['--version'], { encoding: 'utf8' }).status === 0;
  it.skipIf(!hasDocker && !process.env.CI)('passes `docker stack config -c docker-compose.yml` with no warning but the swarm\'s own on host IPs (skipped: no docker CLI)', () => {
    if (!hasDocker) throw new Error('the docker CLI does not run in CI: .ci/run installs docker.io with scripts/docker/engine.sh');
    const r = spawnSync('docker', ['stack', 'config', '-c', 'docker-compose.yml'], { encoding: 'utf8', timeout: 20_000, env: { PATH: process.env.PATH, HOME: process.env.HOME } });
    expect(r.status, r.stderr).toBe(0);
    // a swarm publishes on every interface: it says so for each 127.0.0.1 port, and nothing else
    const warnings = r.stderr.split('\n').filter((l) => l.trim() && !/ignoring IP-address \(127\.0\.0\.1:/.test(l));
    expect(warnings).toEqual([]);
    const stack = parse(r.stdout) as { services: Record<string, Service> };
    expect(Object.keys(stack.services).sort()).toEqual(Object.keys(base.services).sort());
    expect(stack.services.node2.deploy?.placement?.constraints).toEqual(['node.labels.fogsim.node2 == true']);
    // with the dnsrr file on top: accepted, the placement kept (deploy sections merge key by key)
    const both = spawnSync('docker', ['stack', 'config', '-c', 'docker-compose.yml', '-c', 'docker-stack.dnsrr.yml'], { encoding: 'utf8', timeout: 20_000, env: { PATH: process.env.PATH, HOME: process.env.HOME } });
    expect(both.status, both.stderr).toBe(0);
    const merged = parse(both.stdout) as { services: Record<string, Service & { deploy?: { endpoint_mode?: string } }> };
    expect(merged.services.node2.deploy).toMatchObject({ endpoint_mode: 'dnsrr', placement: { constraints: ['node.labels.fogsim.node2 == true'] } });
  });

  it('docker-stack.dnsrr.yml (swarms without IPVS) makes every service dnsrr and publishes the same ports, in host mode', () => {
    const dnsrr = parse(readFileSync('docker-stack.dnsrr.yml', 'utf8'), { merge: true }) as { services: Record<string, { ports?: { target: number; published: string; mode: string }[]; deploy?: { endpoint_mode?: string } }> };
    expect(Object.keys(dnsrr.services).sort()).toEqual(Object.keys(base.services).sort());
    for (const [name, svc] of Object.entries(base.services)) {
      const over = dnsrr.services[name]!;
      expect(over.deploy?.endpoint_mode, `${name}.deploy.endpoint_mode`).toBe('dnsrr');
      // "127.0.0.1:${VAR:-default}:target" in the base, {target, published: "${VAR:-default}", mode: host} over it
      const want = (svc.ports ?? []).map((p) => {
        const m = /^127\.0\.0\.1:(.+):(\d+)$/.exec(p)!;
        return { target: Number(m[2]), published: m[1], mode: 'host' };
      });
      expect(over.ports ?? [], `${name}.ports`).toEqual(want);
    }
  });

  // Compose v2+ (the plugin scripts/docker/compose.sh builds) validates the file without an engine
  const hasCompose = spawnSync('docker', ['compose', 'version'], { encoding: 'utf8' }).status === 0;
  it.skipIf(!hasCompose && !process.env.CI)('passes `docker compose config -q` (skipped: no compose plugin; scripts/docker/compose.sh install)', () => {
    if (!hasCompose) throw new Error('`docker compose` does not run in CI: .ci/run installs the plugin with scripts/docker/compose.sh install');
    // throws with compose's own message when the file is invalid; a clean environment, so only the defaults apply
    execFileSync('docker', ['compose', 'config', '-q'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 20_000, env: { PATH: process.env.PATH, HOME: process.env.HOME } });
  });
});

interface Stage {
  from: string;
  lines: string[];
}

function stages(file: string): Stage[] {
  const out: Stage[] = [];
  for (const raw of readFileSync(file, 'utf8').split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^FROM\s+(\S+)/i.exec(line);
    if (m) out.push({ from: m[1], lines: [] });
    else out.at(-1)?.lines.push(line);
  }
  return out;
}

describe.each([
  ['Dockerfile', 'bin/fogsim.js'],
  ['nodes/Dockerfile', 'dist/nodes/main.js'],
])('%s', (file, entry) => {
  const st = stages(file);

  it('is a multi-stage build on a standard slim Node.js base', () => {
    expect(st.length).toBeGreaterThanOrEqual(2);
    for (const s of st) expect(s.from).toMatch(/^node:\d+(\.\d+)*-(slim|alpine)$/);
    // the final stage copies from the build stage instead of building again
    expect(st.at(-1)!.lines.some((l) => /^COPY\s+--from=/.test(l))).toBe(true);
    expect(st.at(-1)!.lines.some((l) => /^RUN\s+npm\s+(ci|install)/.test(l))).toBe(false);
  });

  it('runs as a non-root user', () => {
    const users = st.at(-1)!.lines.filter((l) => /^USER\s/i.test(l)).map((l) => l.split(/\s+/)[1]);
    expect(users.length).toBeGreaterThan(0);
    expect(users.at(-1)).not.toMatch(/^(root|0)(:|$)/);
  });

  it(`starts ${entry}`, () => {
    const ep = st.at(-1)!.lines.find((l) => /^ENTRYPOINT\s/.test(l));
    expect(ep).toBeDefined();
    expect(JSON.parse(ep!.replace(/^ENTRYPOINT\s+/, ''))).toEqual(['node', entry]);
  });
});
