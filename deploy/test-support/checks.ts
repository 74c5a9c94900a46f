import { CONFIG_VARIABLES, loadConfig, type Config } from '../../lib/config.js';
import { PROCESSOR_PROCESS_ENV } from '../../lib/process-env.js';
import { isObject, type K8sObject } from './manifests.js';

/**
 * What the schemas cannot see: the rendered objects against the application (its configuration
 * module, commands and routes) and against the operating rules of the deployment. Every check
 * returns problems as lines `Kind/name: what is wrong`; none means the overlay is sound.
 */

/** The image every entry point runs (kustomize's `images:` renames it per overlay). */
export const APP_IMAGE_NAME = 'agent-telemetry';

/** Probe routes of the long-running commands (lib/http-probe-server.ts, api/server.ts, agents/supervisor.ts). */
export const PROBE_ROUTES = {
  api: { liveness: '/health', readiness: '/ready' },
  processors: { liveness: '/healthz', readiness: '/readyz' },
  agents: { liveness: '/healthz', readiness: '/readyz' },
} as const;

/** Port each long-running command listens on, from its effective configuration. */
const COMMAND_PORT: Partial<Record<string, (config: Config) => number>> = {
  api: (config) => config.api.port,
  processors: (config) => config.processors.httpPort,
  agents: (config) => config.agentRuntime.httpPort,
};

const READ_ONLY_VERBS = new Set(['get', 'list', 'watch']);

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    secretKeyRef?: { name: string; key: string };
    configMapKeyRef?: { name: string; key: string };
  };
}
interface Probe {
  httpGet?: { path: string; port: number | string };
  tcpSocket?: { port: number | string };
}
interface SecurityContext {
  runAsNonRoot?: boolean;
  runAsUser?: number;
  allowPrivilegeEscalation?: boolean;
  capabilities?: { drop?: string[] };
  seccompProfile?: { type: string };
}
export interface Container {
  name: string;
  image: string;
  args?: string[];
  command?: string[];
  env?: EnvVar[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  ports?: { name?: string; containerPort: number }[];
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: SecurityContext;
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  startupProbe?: Probe;
  lifecycle?: { preStop?: { sleep?: { seconds: number } } };
}
export interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  securityContext?: SecurityContext;
  terminationGracePeriodSeconds?: number;
  serviceAccountName?: string;
  enableServiceLinks?: boolean;
  affinity?: { podAntiAffinity?: Record<string, unknown> };
  volumes?: { name: string; persistentVolumeClaim?: { claimName: string } }[];
}
export interface PodTemplate {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: PodSpec;
}

export const id = (object: K8sObject): string => `${object.kind}/${object.metadata.name}`;

export function find(objects: K8sObject[], kind: string, name: string): K8sObject | undefined {
  return objects.find((object) => object.kind === kind && object.metadata.name === name);
}

/** The pod template of a workload (Deployment, StatefulSet, Job), or undefined. */
export function podTemplate(object: K8sObject): PodTemplate | undefined {
  const spec = object.spec;
  if (!isObject(spec) || !isObject(spec.template)) return undefined;
  return spec.template as unknown as PodTemplate;
}

export function allContainers(spec: PodSpec): Container[] {
  return [...(spec.initContainers ?? []), ...spec.containers];
}

export function isAppContainer(container: Container): boolean {
  const repository = container.image.split('@')[0]?.replace(/:[^:/]+$/, '') ?? '';
  return repository === APP_IMAGE_NAME || repository.endsWith(`/${APP_IMAGE_NAME}`);
}

function secretValue(objects: K8sObject[], name: string, key: string): string | undefined {
  const secret = find(objects, 'Secret', name);
  if (secret === undefined) return undefined;
  const data = secret.data;
  const stringData = secret.stringData;
  if (isObject(stringData) && typeof stringData[key] === 'string') return stringData[key];
  if (isObject(data) && typeof data[key] === 'string')
    return Buffer.from(data[key], 'base64').toString('utf8');
  return undefined;
}

/**
 * The environment an application container starts with: its ConfigMaps' keys and its own `env`.
 * Values from Secrets the overlay does not render (created out of band) stand in as a
 * placeholder, so the configuration still parses.
 */
export function containerEnvironment(
  objects: K8sObject[],
  container: Container,
  problems: string[],
  owner: string,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const source of container.envFrom ?? []) {
    if (source.secretRef !== undefined)
      problems.push(`${owner}: envFrom a Secret hides which variables it sets`);
    const ref = source.configMapRef?.name;
    if (ref === undefined) continue;
    const configMap = find(objects, 'ConfigMap', ref);
    if (configMap === undefined || !isObject(configMap.data)) {
      problems.push(`${owner}: envFrom ConfigMap ${ref} is not rendered`);
      continue;
    }
    for (const [key, value] of Object.entries(configMap.data)) env[key] = String(value);
  }
  for (const variable of container.env ?? []) {
    const secretRef = variable.valueFrom?.secretKeyRef;
    env[variable.name] =
      variable.value ??
      (secretRef === undefined
        ? 'from-field'
        : (secretValue(objects, secretRef.name, secretRef.key) ?? 'external-secret-value'));
  }
  return env;
}

/** Env names, config parse, command, probes and ports of one application container. */
export function checkAppContainer(
  objects: K8sObject[],
  owner: string,
  container: Container,
  commands: ReadonlySet<string>,
  problems: string[],
): Config | undefined {
  const where = `${owner} container ${container.name}`;
  const env = containerEnvironment(objects, container, problems, where);
  // the application's variables, and the Node.js and C library settings of lib/process-env.ts
  const known = new Set([...CONFIG_VARIABLES, ...Object.keys(PROCESSOR_PROCESS_ENV)]);
  for (const name of Object.keys(env)) {
    if (!known.has(name)) problems.push(`${where}: ${name} is not a variable of lib/config.ts`);
  }
  let config: Config;
  try {
    config = loadConfig(env);
  } catch (error) {
    problems.push(`${where}: its configuration does not load: ${(error as Error).message}`);
    return undefined;
  }
  if (container.command !== undefined) problems.push(`${where}: overrides the image's entry point`);
  const command = container.args?.[0];
  if (command === undefined || !commands.has(command)) {
    problems.push(`${where}: runs "${command ?? ''}", not a command of the agent-telemetry binary`);
    return config;
  }
  const routes = (PROBE_ROUTES as Partial<Record<string, { liveness: string; readiness: string }>>)[command];
  const port = COMMAND_PORT[command]?.(config);
  if (routes === undefined || port === undefined) return config;
  const resolvePort = (probePort: number | string): number | undefined =>
    typeof probePort === 'number'
      ? probePort
      : container.ports?.find((candidate) => candidate.name === probePort)?.containerPort;
  const expectProbe = (kind: 'livenessProbe' | 'readinessProbe', path: string): void => {
    const probe = container[kind]?.httpGet;
    if (probe === undefined) {
      problems.push(`${where}: no HTTP ${kind}`);
      return;
    }
    if (probe.path !== path) problems.push(`${where}: ${kind} on ${probe.path}, the route is ${path}`);
    if (resolvePort(probe.port) !== port) {
      problems.push(`${where}: ${kind} on port ${String(probe.port)}, the ${command} listens on ${port}`);
    }
  };
  expectProbe('livenessProbe', routes.liveness);
  expectProbe('readinessProbe', routes.readiness);
  if (!(container.ports ?? []).some((candidate) => candidate.containerPort === port)) {
    problems.push(`${where}: does not declare its port ${port}`);
  }
  return config;
}

/** Resources, security context, grace period, and the application containers, of every workload. */
export function checkWorkloads(objects: K8sObject[], commands: ReadonlySet<string>): string[] {
  const problems: string[] = [];
  for (const object of objects) {
    const template = podTemplate(object);
    if (template === undefined) continue;
    const owner = id(object);
    const spec = template.spec;
    const pod = spec.securityContext ?? {};
    if (pod.runAsNonRoot !== true) problems.push(`${owner}: pod securityContext.runAsNonRoot is not true`);
    if (pod.runAsUser === undefined || pod.runAsUser === 0) {
      problems.push(
        `${owner}: pod runAsUser must be a non-zero uid (image users by name cannot be verified)`,
      );
    }
    if (pod.seccompProfile?.type !== 'RuntimeDefault')
      problems.push(`${owner}: seccompProfile is not RuntimeDefault`);
    // service links put <SERVICE>_PORT=tcp://… variables into every container: noise for the
    // application, and broker properties for the Kafka image, which maps KAFKA_* to its config
    if (spec.enableServiceLinks !== false) problems.push(`${owner}: enableServiceLinks is not false`);
    const grace = spec.terminationGracePeriodSeconds;
    if (grace === undefined) problems.push(`${owner}: no terminationGracePeriodSeconds`);
    for (const container of allContainers(spec)) {
      const where = `${owner} container ${container.name}`;
      if (!/[:@]/.test(container.image.replace(/^[^/]*\//, '')) || container.image.endsWith(':latest')) {
        problems.push(`${where}: image ${container.image} is not pinned to a version`);
      }
      const { requests, limits } = container.resources ?? {};
      if (requests?.cpu === undefined || requests.memory === undefined)
        problems.push(`${where}: no cpu and memory requests`);
      if (limits?.memory === undefined) problems.push(`${where}: no memory limit`);
      const security = container.securityContext ?? {};
      if (security.allowPrivilegeEscalation !== false)
        problems.push(`${where}: allowPrivilegeEscalation is not false`);
      if (!(security.capabilities?.drop ?? []).includes('ALL'))
        problems.push(`${where}: capabilities are not dropped`);
      if (security.runAsUser === 0 || security.runAsNonRoot === false)
        problems.push(`${where}: runs as root`);
      if (!isAppContainer(container)) continue;
      const config = checkAppContainer(objects, owner, container, commands, problems);
      if (config === undefined || grace === undefined) continue;
      const preStopMs = (container.lifecycle?.preStop?.sleep?.seconds ?? 0) * 1000;
      if (grace * 1000 <= config.shutdownDeadlineMs + preStopMs) {
        problems.push(
          `${where}: terminationGracePeriodSeconds ${grace} s does not exceed SHUTDOWN_DEADLINE_MS ` +
            `${config.shutdownDeadlineMs} ms plus the preStop pause ${preStopMs} ms`,
        );
      }
    }
  }
  return problems;
}

/** Every reference to a ConfigMap, Secret, ServiceAccount or claim resolves, except listed external Secrets. */
export function checkReferences(objects: K8sObject[], externalSecrets: ReadonlySet<string>): string[] {
  const problems: string[] = [];
  const missing = (kind: string, name: string): boolean =>
    find(objects, kind, name) === undefined && !(kind === 'Secret' && externalSecrets.has(name));
  for (const object of objects) {
    const template = podTemplate(object);
    if (template === undefined) continue;
    const spec = template.spec;
    const account = spec.serviceAccountName;
    if (account !== undefined && missing('ServiceAccount', account))
      problems.push(`${id(object)}: ServiceAccount ${account} missing`);
    for (const volume of spec.volumes ?? []) {
      const claim = volume.persistentVolumeClaim?.claimName;
      if (claim !== undefined && missing('PersistentVolumeClaim', claim))
        problems.push(`${id(object)}: claim ${claim} missing`);
    }
    for (const container of allContainers(spec)) {
      for (const source of container.envFrom ?? []) {
        if (source.configMapRef && missing('ConfigMap', source.configMapRef.name)) {
          problems.push(`${id(object)}: ConfigMap ${source.configMapRef.name} missing`);
        }
      }
      for (const variable of container.env ?? []) {
        const secret = variable.valueFrom?.secretKeyRef;
        if (secret !== undefined && missing('Secret', secret.name))
          problems.push(`${id(object)}: Secret ${secret.name} missing`);
        if (secret !== undefined && find(objects, 'Secret', secret.name) !== undefined) {
          if (secretValue(objects, secret.name, secret.key) === undefined) {
            problems.push(`${id(object)}: Secret ${secret.name} has no key ${secret.key}`);
          }
        }
      }
    }
  }
  return problems;
}

/**
 * The Kubernetes resources a client source file reads, as `group/resource` (`/pods` for the core
 * group), from the REST paths it requests (`/api/v1/namespaces/${ns}/pods`,
 * `/apis/apps/v1/namespaces/${ns}/deployments`).
 */
export function resourcesRead(source: string): Set<string> {
  const read = new Set<string>();
  for (const match of source.matchAll(
    /\/(?:api\/v1|apis\/([a-z0-9.-]+)\/[a-z0-9]+)\/namespaces\/\$\{\w+\}\/([a-z]+)/g,
  )) {
    read.add(`${match[1] ?? ''}/${match[2] ?? ''}`);
  }
  return read;
}

/**
 * Roles grant exactly what the API reads (`needed`, as `group/resource`), with read-only verbs:
 * get and list on each, watch at most, nothing else, and no cluster-wide roles.
 */
export function checkRbac(objects: K8sObject[], needed: ReadonlySet<string>): string[] {
  const problems: string[] = [];
  const granted = new Map<string, Set<string>>();
  for (const object of objects) {
    if (object.kind === 'ClusterRole' || object.kind === 'ClusterRoleBinding') {
      problems.push(`${id(object)}: cluster-wide RBAC; the API needs its own namespace only`);
    }
    if (object.kind !== 'Role') continue;
    const rules = (object.rules ?? []) as { apiGroups?: string[]; resources?: string[]; verbs?: string[] }[];
    if (rules.length === 0) problems.push(`${id(object)}: no rules`);
    for (const rule of rules) {
      for (const verb of rule.verbs ?? []) {
        if (!READ_ONLY_VERBS.has(verb)) problems.push(`${id(object)}: verb ${verb} is not read-only`);
      }
      for (const group of rule.apiGroups ?? []) {
        for (const resource of rule.resources ?? []) {
          const key = `${group}/${resource}`;
          if (!needed.has(key)) problems.push(`${id(object)}: grants ${key}, which the API does not read`);
          const verbs = granted.get(key) ?? new Set<string>();
          for (const verb of rule.verbs ?? []) verbs.add(verb);
          granted.set(key, verbs);
        }
      }
    }
  }
  for (const key of needed) {
    const verbs = granted.get(key);
    if (verbs?.has('get') !== true || !verbs.has('list'))
      problems.push(`no Role lets the API get and list ${key}`);
  }
  return problems;
}

function selects(selector: unknown, labels: Record<string, string> | undefined): boolean {
  if (!isObject(selector)) return false;
  const wanted = isObject(selector.matchLabels) ? selector.matchLabels : selector;
  return (
    Object.keys(wanted).length > 0 && Object.entries(wanted).every(([key, value]) => labels?.[key] === value)
  );
}

/** Pod templates a Service or PodDisruptionBudget selector matches. */
export function selectedTemplates(objects: K8sObject[], selector: unknown): PodTemplate[] {
  return objects
    .map(podTemplate)
    .filter(
      (template): template is PodTemplate =>
        template !== undefined && selects(selector, template.metadata?.labels),
    );
}

/** Services select pods and reach declared ports; PDBs select pods. */
export function checkSelectors(objects: K8sObject[]): string[] {
  const problems: string[] = [];
  for (const object of objects) {
    if (object.kind !== 'Service' && object.kind !== 'PodDisruptionBudget') continue;
    const spec = (object.spec ?? {}) as {
      selector?: unknown;
      ports?: { port: number; targetPort?: number | string }[];
    };
    const templates = selectedTemplates(objects, spec.selector);
    if (templates.length === 0) {
      problems.push(`${id(object)}: its selector matches no pod template`);
      continue;
    }
    for (const port of object.kind === 'Service' ? (spec.ports ?? []) : []) {
      const target = port.targetPort ?? port.port;
      const declared = templates.some((template) =>
        template.spec.containers.some((container) =>
          (container.ports ?? []).some((candidate) =>
            typeof target === 'number' ? candidate.containerPort === target : candidate.name === target,
          ),
        ),
      );
      if (!declared)
        problems.push(
          `${id(object)}: port ${port.port} targets ${String(target)}, which no selected container declares`,
        );
    }
  }
  return problems;
}

/** Every namespaced object lives in `telemetry`. */
export function checkNamespace(objects: K8sObject[]): string[] {
  const clusterScoped = new Set([
    'Namespace',
    'StorageClass',
    'ClusterRole',
    'ClusterRoleBinding',
    'PriorityClass',
  ]);
  return objects
    .filter((object) => !clusterScoped.has(object.kind) && object.metadata.namespace !== 'telemetry')
    .map((object) => `${id(object)}: namespace ${object.metadata.namespace ?? '(none)'}, expected telemetry`);
}

const SERVICE_ADDRESS = /([a-z0-9.-]+)\.svc\.cluster\.local:(\d+)/g;

/**
 * Every in-cluster address in a container's environment (`<service>.<namespace>.svc.cluster.local:<port>`,
 * or `<pod>.<service>.…` for a StatefulSet pod) names a rendered Service that has that port, and a
 * pod that exists.
 */
export function checkServiceAddresses(objects: K8sObject[]): string[] {
  const problems: string[] = [];
  for (const object of objects) {
    const template = podTemplate(object);
    if (template === undefined) continue;
    for (const container of allContainers(template.spec)) {
      const where = `${id(object)} container ${container.name}`;
      const values = isAppContainer(container)
        ? Object.values(containerEnvironment(objects, container, [], where))
        : (container.env ?? []).map((variable) => variable.value ?? '');
      for (const value of values.filter((v) => !v.includes('$('))) {
        for (const match of value.matchAll(SERVICE_ADDRESS)) {
          const host = (match[1] ?? '').split('.');
          const [namespace, serviceName, pod] = [host.at(-1), host.at(-2), host.at(-3)];
          const port = Number(match[2]);
          const service = find(objects, 'Service', serviceName ?? '');
          const ports = ((service?.spec as { ports?: { port: number }[] } | undefined)?.ports ?? []).map(
            (p) => p.port,
          );
          if (service === undefined || service.metadata.namespace !== namespace || !ports.includes(port)) {
            problems.push(`${where}: ${match[0]} is not a port of a rendered Service`);
            continue;
          }
          if (pod === undefined) continue;
          const owner = objects.find((candidate) => {
            const spec = candidate.spec as { serviceName?: string; replicas?: number } | undefined;
            const ordinal = Number(pod.slice(candidate.metadata.name.length + 1));
            return (
              candidate.kind === 'StatefulSet' &&
              spec?.serviceName === serviceName &&
              pod.startsWith(`${candidate.metadata.name}-`) &&
              Number.isInteger(ordinal) &&
              ordinal < (spec?.replicas ?? 1)
            );
          });
          if (owner === undefined) problems.push(`${where}: ${match[0]} names a pod no StatefulSet runs`);
        }
      }
    }
  }
  return problems;
}

interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

function matchesSelector(selector: LabelSelector | undefined, labels: Record<string, string> = {}): boolean {
  if (selector === undefined) return false;
  const byLabels = Object.entries(selector.matchLabels ?? {}).every(([key, value]) => labels[key] === value);
  const byExpressions = (selector.matchExpressions ?? []).every((expression) => {
    const value = labels[expression.key];
    switch (expression.operator) {
      case 'In':
        return value !== undefined && (expression.values ?? []).includes(value);
      case 'NotIn':
        return value === undefined || !(expression.values ?? []).includes(value);
      case 'Exists':
        return value !== undefined;
      default:
        return value === undefined;
    }
  });
  return byLabels && byExpressions;
}

interface NetworkPolicySpec {
  podSelector: LabelSelector;
  ingress?: { from?: { podSelector?: LabelSelector }[]; ports?: { port?: number | string }[] }[];
}

/**
 * A pod whose environment addresses a Service is let in by every NetworkPolicy that guards the
 * Service's pods, on that port: a policy must not cut the application off its own database.
 */
export function checkNetworkPolicies(objects: K8sObject[]): string[] {
  const problems: string[] = [];
  const policies = objects.filter((object) => object.kind === 'NetworkPolicy');
  for (const client of objects) {
    const template = podTemplate(client);
    if (template === undefined) continue;
    for (const container of allContainers(template.spec)) {
      const values = isAppContainer(container)
        ? Object.values(containerEnvironment(objects, container, [], id(client)))
        : (container.env ?? []).map((variable) => variable.value ?? '');
      for (const match of values.join(' ').matchAll(SERVICE_ADDRESS)) {
        const serviceName = (match[1] ?? '').split('.').at(-2) ?? '';
        const service = find(objects, 'Service', serviceName);
        const port = Number(match[2]);
        const targets = selectedTemplates(
          objects,
          (service?.spec as { selector?: unknown } | undefined)?.selector,
        );
        for (const policy of policies) {
          const spec = policy.spec as NetworkPolicySpec;
          if (!targets.some((target) => matchesSelector(spec.podSelector, target.metadata?.labels))) continue;
          const admitted = (spec.ingress ?? []).some(
            (rule) =>
              (rule.from ?? []).some((peer) =>
                matchesSelector(peer.podSelector, template.metadata?.labels),
              ) &&
              (rule.ports === undefined || rule.ports.some((allowed) => allowed.port === port)),
          );
          if (!admitted) {
            problems.push(`${id(policy)}: shuts out ${id(client)}, which uses ${match[0]}`);
          }
        }
      }
    }
  }
  return [...new Set(problems)];
}
