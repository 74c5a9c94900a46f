import { cp, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkBearer } from '../api/http/guards.js';
import { MCP_API_PATH } from '../api/mcp/http.js';
import { loadConfig } from '../lib/config.js';
import { PROCESSOR_PROCESS_ENV } from '../lib/process-env.js';
import {
  PROBE_ROUTES,
  checkNamespace,
  checkNetworkPolicies,
  checkRbac,
  resourcesRead,
  checkReferences,
  checkSelectors,
  checkServiceAddresses,
  checkWorkloads,
  find,
  podTemplate,
  selectedTemplates,
  type Container,
  type PodTemplate,
} from './test-support/checks.js';
import { importsOutsideDependencies, lintDockerfile } from './test-support/dockerfile.js';
import {
  K8S_DIR,
  KUBERNETES_VERSION,
  OVERLAYS,
  REPO_ROOT,
  hadolint,
  render,
  toolsBin,
  validateSchemas,
  type K8sObject,
  type Overlay,
  type Rendered,
} from './test-support/manifests.js';

/**
 * The container image and the Kubernetes manifests, checked without a cluster: every overlay is
 * rendered by kustomize (kubectl's), validated against the pinned Kubernetes release's strict
 * schemas, and checked against the application (configuration, commands, routes) and the
 * deployment rules. scripts/test.sh installs the tools (scripts/ensure-kustomize.sh).
 */

/** Secrets an overlay expects to be created out of band (documented in its kustomization). */
const EXTERNAL_SECRETS: Record<Overlay, ReadonlySet<string>> = {
  local: new Set(),
  'local-ollama': new Set(),
  eks: new Set(['telemetry-clickhouse']),
};

/**
 * Folders the TypeScript build compiles whose code the image runs: not bench/ and docs/, which
 * `npm run build` prunes from dist/, and not deploy/, whose code is the offline checks.
 */
async function runtimeFolders(): Promise<string[]> {
  const tsconfig = JSON.parse(await readFile(join(REPO_ROOT, 'tsconfig.json'), 'utf8')) as {
    include: string[];
  };
  return tsconfig.include.filter(
    (entry) => !entry.includes('*') && !['bench', 'deploy', 'docs'].includes(entry),
  );
}

/** Commands of the binary, as the CLI sources register them. */
async function cliCommands(): Promise<Set<string>> {
  const dir = join(REPO_ROOT, 'cli');
  const files = (await readdir(dir)).filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts'));
  const names = new Set<string>();
  for (const file of files) {
    const source = await readFile(join(dir, file), 'utf8');
    for (const match of source.matchAll(/\.command\(\s*'([a-z][a-z-]*)/g)) names.add(match[1] ?? '');
  }
  return names;
}

function problemsOf(
  objects: K8sObject[],
  overlay: Overlay,
  commands: ReadonlySet<string>,
  reads: ReadonlySet<string> = apiReads,
): string[] {
  return [
    ...checkWorkloads(objects, commands),
    ...checkReferences(objects, EXTERNAL_SECRETS[overlay]),
    ...checkRbac(objects, reads),
    ...checkSelectors(objects),
    ...checkNamespace(objects),
    ...checkServiceAddresses(objects),
    ...checkNetworkPolicies(objects),
  ];
}

function template(objects: K8sObject[], kind: string, name: string): PodTemplate {
  const object = find(objects, kind, name);
  const result = object === undefined ? undefined : podTemplate(object);
  if (result === undefined) throw new Error(`${kind}/${name} is not rendered`);
  return result;
}

function container(objects: K8sObject[], kind: string, name: string, containerName: string): Container {
  const found = template(objects, kind, name).spec.containers.find((c) => c.name === containerName);
  if (found === undefined) throw new Error(`${kind}/${name} has no container ${containerName}`);
  return found;
}

function envValue(c: Container, name: string): string | undefined {
  return c.env?.find((variable) => variable.name === name)?.value;
}

const replicas = (object: K8sObject | undefined): unknown =>
  (object?.spec as { replicas?: unknown }).replicas;

let bin: string;
let commands: Set<string>;
/** What the API's Kubernetes client reads (api/oracle/kubernetes.ts), as `group/resource`. */
let apiReads: Set<string>;
const rendered = new Map<Overlay, Rendered>();

beforeAll(async () => {
  bin = await toolsBin();
  commands = await cliCommands();
  apiReads = resourcesRead(await readFile(join(REPO_ROOT, 'api', 'oracle', 'kubernetes.ts'), 'utf8'));
  for (const overlay of OVERLAYS)
    rendered.set(overlay, await render(bin, join(K8S_DIR, 'overlays', overlay)));
}, 60_000);

function objectsOf(overlay: Overlay): K8sObject[] {
  const result = rendered.get(overlay);
  if (result === undefined) throw new Error(`${overlay} was not rendered`);
  return result.objects;
}

describe.each(OVERLAYS)('overlay %s', (overlay) => {
  it('validates against the Kubernetes schemas (strict)', async () => {
    const result = rendered.get(overlay);
    expect(result?.objects.length).toBeGreaterThan(0);
    expect(await validateSchemas(bin, result?.yaml ?? '')).toEqual([]);
    // the object count per overlay, in the test output
    process.stdout.write(
      `overlay ${overlay}: ${result?.objects.length ?? 0} objects, valid against Kubernetes ${KUBERNETES_VERSION} (strict)\n`,
    );
  }, 30_000);

  it('follows the deployment rules and matches the application', () => {
    expect(problemsOf(objectsOf(overlay), overlay, commands)).toEqual([]);
  });

  it('runs the whole system', () => {
    const objects = objectsOf(overlay);
    const names = new Set(objects.map((object) => `${object.kind}/${object.metadata.name}`));
    for (const required of [
      'Namespace/telemetry',
      'StatefulSet/kafka',
      'Deployment/schema-registry',
      'StatefulSet/clickhouse',
      'Job/telemetry-init',
      'Deployment/telemetry-processors',
      'Deployment/telemetry-api',
      'Service/telemetry-api',
      'PodDisruptionBudget/telemetry-api',
      'ServiceAccount/telemetry-api',
      'Role/telemetry-api-read-workloads',
      'RoleBinding/telemetry-api-read-workloads',
      'NetworkPolicy/clickhouse-clients',
    ]) {
      expect(names, required).toContain(required);
    }
    const kafka = find(objects, 'StatefulSet', 'kafka');
    const kafkaSpec = kafka?.spec as { volumeClaimTemplates?: unknown[] };
    expect(kafkaSpec.volumeClaimTemplates?.length).toBe(1);
    const broker = container(objects, 'StatefulSet', 'kafka', 'kafka');
    expect(envValue(broker, 'KAFKA_PROCESS_ROLES')).toBe('broker,controller');
    // one voter per Kafka pod, numbered by ordinal like KAFKA_NODE_ID
    const voters = (envValue(broker, 'KAFKA_CONTROLLER_QUORUM_VOTERS') ?? '').split(',');
    expect(voters.map((voter) => voter.split('@')[0])).toEqual(
      Array.from({ length: Number(replicas(kafka)) }, (_, i) => String(i)),
    );
    const registry = container(objects, 'Deployment', 'schema-registry', 'registry');
    expect(envValue(registry, 'APICURIO_STORAGE_KIND')).toBe('kafkasql');
    const config = find(objects, 'ConfigMap', 'telemetry-config')?.data as Record<string, string>;
    expect(Number(config.TOPIC_REPLICATION_FACTOR)).toBeLessThanOrEqual(Number(replicas(kafka)));
    const init = template(objects, 'Job', 'telemetry-init').spec;
    expect([...(init.initContainers ?? []), ...init.containers].map((c) => c.args?.join(' '))).toEqual([
      'topics',
      'migrate',
    ]);
  });

  it('gives the processors the ClickHouse writer and the API the read-only user, with limits', async () => {
    const objects = objectsOf(overlay);
    const users = (find(objects, 'ConfigMap', 'clickhouse-users')?.data as Record<string, string>)[
      'telemetry-users.xml'
    ];
    const profile = (user: string): string =>
      new RegExp(`<${user}>[\\s\\S]*?<profile>(\\w+)</profile>`).exec(users ?? '')?.[1] ?? '';
    const readonlyProfile = profileSettings(users ?? '', profile('telemetry_ro'));
    expect(readonlyProfile.readonly).toBe('1');
    // the local stack's read-only profile (both engines of the tests) has the same server-side limits
    const local = profileSettings(
      await readFile(join(REPO_ROOT, 'scripts', 'stack', 'clickhouse-users.xml'), 'utf8'),
      'readonly',
    );
    for (const limit of ['max_execution_time', 'max_result_rows', 'max_result_bytes', 'max_memory_usage']) {
      expect(local[limit], limit).toMatch(/^\d+$/);
      expect(readonlyProfile[limit], limit).toBe(local[limit]);
    }
    expect(readonlyProfile.result_overflow_mode).toBe('throw');
    expect(readonlyProfile.use_uncompressed_cache).toBe('1');
    expect(local.use_uncompressed_cache).toBe('1');
    expect(profile('telemetry_writer')).toBe('default');
    const clickhouse = container(objects, 'StatefulSet', 'clickhouse', 'clickhouse');
    expect(clickhouse.image).toMatch(/^clickhouse\/clickhouse-server:\d+\.\d+\.\d+\.\d+$/);
    const processors = container(objects, 'Deployment', 'telemetry-processors', 'processors');
    const api = container(objects, 'Deployment', 'telemetry-api', 'api');
    const migrate = container(objects, 'Job', 'telemetry-init', 'migrate');
    expect(envValue(processors, 'CLICKHOUSE_USER')).toBe('telemetry_writer');
    expect(envValue(migrate, 'CLICKHOUSE_USER')).toBe('telemetry_writer');
    expect(envValue(api, 'API_CLICKHOUSE_USER')).toBe('telemetry_ro');
    expect(users).toContain('<password from_env="CLICKHOUSE_WRITER_PASSWORD"/>');
    expect(users).toContain('<password from_env="CLICKHOUSE_READER_PASSWORD"/>');
    const secretKey = (c: Container, name: string): string | undefined =>
      c.env?.find((variable) => variable.name === name)?.valueFrom?.secretKeyRef?.key;
    expect(secretKey(processors, 'CLICKHOUSE_PASSWORD')).toBe(
      secretKey(clickhouse, 'CLICKHOUSE_WRITER_PASSWORD'),
    );
    expect(secretKey(api, 'API_CLICKHOUSE_PASSWORD')).toBe(
      secretKey(clickhouse, 'CLICKHOUSE_READER_PASSWORD'),
    );
  });

  it('starts the processors as lib/process-env.ts says, with the heap well inside the memory limit', () => {
    const processors = container(objectsOf(overlay), 'Deployment', 'telemetry-processors', 'processors');
    for (const [name, value] of Object.entries(PROCESSOR_PROCESS_ENV)) {
      expect(envValue(processors, name), name).toBe(value);
    }
    const heapMiB = Number(/--max-old-space-size=(\d+)/.exec(PROCESSOR_PROCESS_ENV.NODE_OPTIONS)?.[1]);
    const limit = /^(\d+)Mi$/.exec(processors.resources?.limits?.memory ?? '')?.[1];
    expect(heapMiB * 2).toBeLessThanOrEqual(Number(limit));
  });

  it('lets only the API read Kubernetes, and covers it with a disruption budget', () => {
    const objects = objectsOf(overlay);
    expect([...apiReads].sort()).toEqual(expect.arrayContaining(['/pods', 'apps/deployments']));
    const binding = find(objects, 'RoleBinding', 'telemetry-api-read-workloads');
    expect((binding?.subjects as { name: string }[]).map((s) => s.name)).toEqual(['telemetry-api']);
    const accounts = objects
      .map(podTemplate)
      .filter((t): t is PodTemplate => t?.spec.serviceAccountName === 'telemetry-api');
    expect(accounts).toEqual([template(objects, 'Deployment', 'telemetry-api')]);
    const pdb = find(objects, 'PodDisruptionBudget', 'telemetry-api');
    expect(selectedTemplates(objects, (pdb?.spec as { selector: unknown }).selector)).toEqual([
      template(objects, 'Deployment', 'telemetry-api'),
    ]);
  });
});

describe('the API routes the manifests probe', () => {
  it('are served by the API', async () => {
    const server = await readFile(join(REPO_ROOT, 'api', 'server.ts'), 'utf8');
    for (const path of Object.values(PROBE_ROUTES.api)) expect(server).toContain(`path === '${path}'`);
  });

  it('include the MCP endpoint setup-kind.sh tells coding assistants to use', async () => {
    const script = await readFile(join(REPO_ROOT, 'scripts', 'setup-kind.sh'), 'utf8');
    expect(script).toContain(`http://127.0.0.1:$LOCAL_PORT${MCP_API_PATH}`);
  });

  it('probe routes the API answers without a token, so setting API_AUTH_TOKEN keeps pods ready', () => {
    for (const overlay of OVERLAYS) {
      const api = container(objectsOf(overlay), 'Deployment', 'telemetry-api', 'api');
      const probed = [api.livenessProbe?.httpGet?.path, api.readinessProbe?.httpGet?.path];
      expect(probed, overlay).toEqual([PROBE_ROUTES.api.liveness, PROBE_ROUTES.api.readiness]);
      for (const path of Object.values(PROBE_ROUTES.api)) {
        const url = new URL(`http://127.0.0.1:8080${path}`);
        expect(checkBearer(new Request(url), url, 'x'.repeat(32)), `${overlay} ${path}`).toBeUndefined();
      }
    }
  });
});

describe('the local start script', () => {
  it('starts the processors as lib/process-env.ts says', async () => {
    const script = await readFile(join(REPO_ROOT, 'scripts', 'start.sh'), 'utf8');
    const settings = Object.entries(PROCESSOR_PROCESS_ENV).map(([name, value]) =>
      /\s/.test(value) ? `${name}="${value}"` : `${name}=${value}`,
    );
    expect(script).toContain(`env ${settings.join(' ')} \\\n  node "$ROOT/dist/cli/main.js" processors`);
  });
});

describe('local overlays', () => {
  it('label and annotate the sample agents for oracle discovery', () => {
    for (const overlay of ['local', 'local-ollama'] as const) {
      const objects = objectsOf(overlay);
      const agents = objects.filter(
        (o) => o.kind === 'Deployment' && o.metadata.labels?.['oracle-monitor/agent'] === 'true',
      );
      expect(agents.length).toBeGreaterThan(0);
      for (const agent of agents) {
        expect(podTemplate(agent)?.metadata?.labels?.['oracle-monitor/agent']).toBe('true');
        for (const key of ['name', 'description', 'models']) {
          expect(agent.metadata.annotations?.[`oracle-monitor/${key}`], key).toMatch(/\S/);
        }
        expect(podTemplate(agent)?.spec.containers[0]?.args?.slice(0, 2)).toEqual(['agents', 'run']);
      }
    }
    expect(objectsOf('eks').some((o) => o.metadata.labels?.['oracle-monitor/agent'] === 'true')).toBe(false);
  });

  it('point the agents at Ollama, and pull their model, only with the ollama component', () => {
    const objects = objectsOf('local-ollama');
    const agents = container(objects, 'Deployment', 'sample-agents', 'agents');
    const service = find(objects, 'Service', 'ollama');
    const port = (service?.spec as { ports: { port: number }[] }).ports[0]?.port;
    const url = `http://ollama.telemetry.svc.cluster.local:${port}`;
    expect(envValue(agents, 'OLLAMA_BASE_URL')).toBe(url);
    const agentsConfig = loadConfig({ OLLAMA_BASE_URL: url, LLM_MODEL: envValue(agents, 'LLM_MODEL') });
    expect(agentsConfig.llm.provider).toBe('ollama');
    const pull = container(objects, 'Job', 'ollama-pull-model', 'pull');
    expect(pull.args).toEqual(['pull', agentsConfig.llm.model]);
    expect(envValue(pull, 'OLLAMA_HOST')).toBe(url);
    const annotations = find(objects, 'Deployment', 'sample-agents')?.metadata.annotations;
    expect(annotations?.['oracle-monitor/models']).toBe(agentsConfig.llm.model);
    expect(find(objectsOf('local'), 'Deployment', 'ollama')).toBeUndefined();
    expect(
      envValue(container(objectsOf('local'), 'Deployment', 'sample-agents', 'agents'), 'OLLAMA_BASE_URL'),
    ).toBeUndefined();
  });
});

describe('eks overlay', () => {
  it('sets the storage class, replicas and anti-affinity', () => {
    const objects = objectsOf('eks');
    const storageClass = objects.find((o) => o.kind === 'StorageClass');
    expect(storageClass?.provisioner).toBe('ebs.csi.aws.com');
    for (const set of objects.filter((o) => o.kind === 'StatefulSet')) {
      const claims = (set.spec as { volumeClaimTemplates: { spec: { storageClassName?: string } }[] })
        .volumeClaimTemplates;
      expect(
        claims.map((claim) => claim.spec.storageClassName),
        set.metadata.name,
      ).toEqual([storageClass?.metadata.name]);
    }
    expect(replicas(find(objects, 'StatefulSet', 'kafka'))).toBe(3);
    expect(find(objects, 'PodDisruptionBudget', 'kafka')).toBeDefined();
    for (const name of ['telemetry-api', 'telemetry-processors', 'schema-registry']) {
      expect(Number(replicas(find(objects, 'Deployment', name))), name).toBeGreaterThanOrEqual(2);
      expect(template(objects, 'Deployment', name).spec.affinity?.podAntiAffinity, name).toBeDefined();
    }
    const kafkaAffinity = template(objects, 'StatefulSet', 'kafka').spec.affinity?.podAntiAffinity;
    expect(kafkaAffinity?.requiredDuringSchedulingIgnoredDuringExecution).toBeDefined();
    expect(find(objects, 'Secret', 'telemetry-clickhouse')).toBeUndefined();
  });

  it('documents the Secret it expects', async () => {
    const kustomization = await readFile(join(K8S_DIR, 'overlays', 'eks', 'kustomization.yaml'), 'utf8');
    for (const secret of EXTERNAL_SECRETS.eks)
      expect(kustomization).toContain(`create secret generic ${secret}`);
  });
});

describe('the checks catch a broken manifest', () => {
  it('the schemas reject a mistyped field and an unknown one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'agent-telemetry-broken-'));
    try {
      await cp(K8S_DIR, dir, { recursive: true });
      const api = join(dir, 'base', 'api.yaml');
      const text = await readFile(api, 'utf8');
      await writeFile(
        api,
        text.replace('replicas: 2', 'replicas: two').replace('periodSeconds: 5', 'periodSecond: 5'),
      );
      const broken = await render(bin, join(dir, 'overlays', 'eks'));
      const errors = await validateSchemas(bin, broken.yaml);
      expect(errors.join('\n')).toMatch(/deployment\/telemetry-api/);
      expect(errors.join('\n')).toMatch(/periodSecond/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 30_000);

  it('the rules reject an unknown variable, a short grace period, a wrong probe, write RBAC, no limits and wrong addresses', () => {
    const objects = structuredClone(objectsOf('local'));
    const api = template(objects, 'Deployment', 'telemetry-api');
    const apiContainer = api.spec.containers[0] as Container;
    apiContainer.env?.push({ name: 'API_PROT', value: '8080' });
    api.spec.terminationGracePeriodSeconds = 20;
    if (apiContainer.readinessProbe?.httpGet) apiContainer.readinessProbe.httpGet.path = '/readyz';
    delete apiContainer.resources;
    const config = find(objects, 'ConfigMap', 'telemetry-config')?.data as Record<string, string>;
    config.CLICKHOUSE_URL = 'http://clickhouse.telemetry.svc.cluster.local:8124';
    const broker = container(objects, 'StatefulSet', 'kafka', 'kafka');
    const voters = broker.env?.find((variable) => variable.name === 'KAFKA_CONTROLLER_QUORUM_VOTERS');
    if (voters !== undefined)
      voters.value = `${voters.value ?? ''},1@kafka-1.kafka-headless.telemetry.svc.cluster.local:9093`;
    const policy = find(objects, 'NetworkPolicy', 'clickhouse-clients')?.spec as {
      ingress: { from: { podSelector: { matchExpressions: { values: string[] }[] } }[] }[];
    };
    policy.ingress[0]?.from[0]?.podSelector.matchExpressions[0]?.values.pop();
    const role = find(objects, 'Role', 'telemetry-api-read-workloads') as
      { rules: { verbs: string[] }[] } | undefined;
    role?.rules[0]?.verbs.push('delete');
    const problems = problemsOf(objects, 'local', commands).join('\n');
    expect(problems).toMatch(/API_PROT is not a variable of lib\/config.ts/);
    expect(problems).toMatch(
      /terminationGracePeriodSeconds 20 s does not exceed SHUTDOWN_DEADLINE_MS 20000 ms/,
    );
    expect(problems).toMatch(/readinessProbe on \/readyz, the route is \/ready/);
    expect(problems).toMatch(/container api: no cpu and memory requests/);
    expect(problems).toMatch(/verb delete is not read-only/);
    expect(problemsOf(objects, 'local', commands, new Set(['/pods'])).join('\n')).toMatch(
      /grants apps\/deployments, which the API does not read/,
    );
    expect(problemsOf(objects, 'local', commands, new Set([...apiReads, 'batch/jobs'])).join('\n')).toMatch(
      /no Role lets the API get and list batch\/jobs/,
    );
    expect(problems).toMatch(/NetworkPolicy\/clickhouse-clients: shuts out Job\/telemetry-init/);
    expect(problems).toMatch(
      /clickhouse.telemetry.svc.cluster.local:8124 is not a port of a rendered Service/,
    );
    expect(problems).toMatch(
      /kafka-1.kafka-headless.telemetry.svc.cluster.local:9093 names a pod no StatefulSet runs/,
    );
  });
});

describe('deploy/Dockerfile', () => {
  it('is multi-stage, non-root, on Node LTS, with a node HEALTHCHECK and every COPY source present', async () => {
    const text = await readFile(join(REPO_ROOT, 'deploy', 'Dockerfile'), 'utf8');
    expect(lintDockerfile(text, REPO_ROOT, commands)).toEqual([]);
    const broken = text.replace(/^USER .*$/m, '').replace('COPY lib ./lib', 'COPY library ./lib');
    const copyLine = text.split('\n').indexOf('COPY lib ./lib') + 1;
    expect(lintDockerfile(broken, REPO_ROOT, commands)).toEqual([
      `line ${copyLine}: COPY source library does not exist`,
      'the runtime stage does not switch to a non-root USER',
    ]);
  });

  it('passes hadolint, which catches a root USER', async () => {
    const text = await readFile(join(REPO_ROOT, 'deploy', 'Dockerfile'), 'utf8');
    expect(await hadolint(bin, text)).toEqual([]);
    const findings = await hadolint(bin, text.replace(/^USER .*$/m, 'USER root'));
    expect(findings.join('\n')).toMatch(/DL3002 Last USER should not be root/);
  }, 30_000);

  it('copies every source folder whose code the image runs', async () => {
    const text = await readFile(join(REPO_ROOT, 'deploy', 'Dockerfile'), 'utf8');
    for (const folder of await runtimeFolders()) {
      expect(text, folder).toMatch(new RegExp(`^COPY ${folder} \\./${folder}$`, 'm'));
    }
  });

  it('keeps every package the entry points import after npm prune --omit=dev', async () => {
    const pkg = JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    const dependencies = new Set(Object.keys(pkg.dependencies));
    const folders = await runtimeFolders();
    expect(folders).toEqual(expect.arrayContaining(['schemas', 'lib', 'processors', 'api', 'agents', 'cli']));
    expect(importsOutsideDependencies(REPO_ROOT, folders, dependencies)).toEqual([]);
    dependencies.delete('zod');
    expect(importsOutsideDependencies(REPO_ROOT, ['lib'], dependencies)).toContain(
      'lib/config.ts imports zod, which is not a runtime dependency',
    );
  });

  it('exposes the default ports of the API, the processors and the agents', async () => {
    const text = await readFile(join(REPO_ROOT, 'deploy', 'Dockerfile'), 'utf8');
    const exposed = /^EXPOSE (.*)$/m.exec(text)?.[1]?.split(/\s+/).map(Number);
    const defaults = loadConfig({});
    expect(exposed).toEqual([
      defaults.api.port,
      defaults.processors.httpPort,
      defaults.agentRuntime.httpPort,
    ]);
  });
});

/** The settings of one profile of a ClickHouse users.xml (`<profiles><name><setting>value</…>`). */
function profileSettings(xml: string, name: string): Record<string, string> {
  const profiles = /<profiles>([\s\S]*?)<\/profiles>/.exec(xml)?.[1] ?? '';
  const body = new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(profiles)?.[1] ?? '';
  const settings: Record<string, string> = {};
  for (const match of body.replace(/<!--[\s\S]*?-->/g, '').matchAll(/<(\w+)>([^<]*)<\/\1>/g)) {
    settings[match[1] ?? ''] = (match[2] ?? '').trim();
  }
  return settings;
}
