import { readFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { ErrorCode, TelemetryError } from '../../lib/errors.js';

/**
 * A small read-only client of the Kubernetes API server: the few list calls the oracle needs
 * (Deployments, Pods, pod metrics, HorizontalPodAutoscalers) over HTTPS with the pod's service-account
 * token and CA, as client-go does in a cluster. Responses are bounded in size.
 */
export interface KubernetesSettings {
  /** `https://<KUBERNETES_SERVICE_HOST>:<port>` in a pod, or an override. */
  apiUrl: string;
  namespace: string;
  tokenFile: string;
  caFile: string;
  timeoutMs: number;
}

export interface ObjectMeta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  creationTimestamp?: string;
}

export interface ResourceList {
  cpu?: string;
  memory?: string;
}

export interface Container {
  name: string;
  image?: string;
  resources?: { limits?: ResourceList; requests?: ResourceList };
}

export interface Deployment {
  metadata: ObjectMeta;
  spec?: {
    replicas?: number;
    selector?: { matchLabels?: Record<string, string> };
    template?: { spec?: { containers?: Container[] } };
  };
  status?: {
    replicas?: number;
    readyReplicas?: number;
    conditions?: { type: string; status: string; reason?: string; lastUpdateTime?: string }[];
  };
}

export interface Pod {
  metadata: ObjectMeta;
  spec?: { containers?: Container[] };
  status?: { phase?: string };
}

export interface PodMetrics {
  metadata: ObjectMeta;
  containers: { name: string; usage: ResourceList }[];
}

export interface HorizontalPodAutoscaler {
  metadata: ObjectMeta;
  spec?: { scaleTargetRef?: { kind?: string; name?: string }; maxReplicas?: number };
}

interface List<T> {
  items: T[];
}

export interface KubernetesClient {
  namespace: string;
  listDeployments(labelSelector?: string): Promise<Deployment[]>;
  listPods(): Promise<Pod[]>;
  /** `undefined` when no metrics server answers (404/503): usage then stays unmeasured. */
  listPodMetrics(): Promise<PodMetrics[] | undefined>;
  /** `undefined` when autoscaling is not readable. */
  listAutoscalers(): Promise<HorizontalPodAutoscaler[] | undefined>;
}

const MAX_RESPONSE_BYTES = 32 * 1024 * 1024;

class KubernetesHttpError extends TelemetryError {
  readonly status: number;
  constructor(status: number, path: string) {
    super(ErrorCode.INTERNAL, `Kubernetes API answered ${status} for ${path}`, {
      retryable: status >= 500 || status === 429,
      details: { httpStatus: status, path },
    });
    this.status = status;
  }
}

export function createKubernetesClient(settings: KubernetesSettings): KubernetesClient {
  const base = new URL(settings.apiUrl);
  const secure = base.protocol === 'https:';
  let ca: Promise<Buffer | undefined> | undefined;

  const loadCa = (): Promise<Buffer | undefined> => (ca ??= readFile(settings.caFile).catch(() => undefined));
  // projected service-account tokens rotate: read the file for every request, as client-go does
  const loadToken = (): Promise<string | undefined> =>
    readFile(settings.tokenFile, 'utf8').then(
      (t) => t.trim(),
      () => undefined,
    );

  async function get<T>(path: string): Promise<T> {
    const [token, authority] = await Promise.all([
      loadToken(),
      secure ? loadCa() : Promise.resolve(undefined),
    ]);
    const url = new URL(path, base);
    return new Promise<T>((resolve, reject) => {
      const options = {
        method: 'GET',
        headers: {
          accept: 'application/json',
          ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
        },
        timeout: settings.timeoutMs,
        ...(authority === undefined ? {} : { ca: authority }),
      };
      const req = (secure ? httpsRequest : httpRequest)(url, options, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_RESPONSE_BYTES) {
            req.destroy(
              new TelemetryError(
                ErrorCode.INTERNAL,
                `Kubernetes API response for ${path} exceeds ${MAX_RESPONSE_BYTES} bytes`,
              ),
            );
            return;
          }
          chunks.push(chunk);
        });
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          if (status < 200 || status >= 300) {
            reject(new KubernetesHttpError(status, path));
            return;
          }
          try {
            resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as T);
          } catch (error) {
            reject(
              new TelemetryError(ErrorCode.INTERNAL, `Kubernetes API answered non-JSON for ${path}`, {
                cause: error,
              }),
            );
          }
        });
        res.on('error', reject);
      });
      req.on('timeout', () =>
        req.destroy(
          new TelemetryError(
            ErrorCode.TIMEOUT,
            `Kubernetes API did not answer ${path} within ${settings.timeoutMs} ms`,
          ),
        ),
      );
      req.on('error', (error) => {
        reject(
          error instanceof TelemetryError
            ? error
            : new TelemetryError(ErrorCode.INTERNAL, `Kubernetes API unreachable: ${error.message}`, {
                cause: error,
                retryable: true,
              }),
        );
      });
      req.end();
    });
  }

  const ns = encodeURIComponent(settings.namespace);
  const optional = async <T>(path: string): Promise<T[] | undefined> => {
    try {
      return (await get<List<T>>(path)).items;
    } catch (error) {
      if (error instanceof KubernetesHttpError && [403, 404, 503].includes(error.status)) return undefined;
      throw error;
    }
  };
  return {
    namespace: settings.namespace,
    async listDeployments(labelSelector) {
      const query = labelSelector === undefined ? '' : `?labelSelector=${encodeURIComponent(labelSelector)}`;
      return (await get<List<Deployment>>(`/apis/apps/v1/namespaces/${ns}/deployments${query}`)).items;
    },
    async listPods() {
      return (await get<List<Pod>>(`/api/v1/namespaces/${ns}/pods`)).items;
    },
    listPodMetrics: () => optional<PodMetrics>(`/apis/metrics.k8s.io/v1beta1/namespaces/${ns}/pods`),
    listAutoscalers: () =>
      optional<HorizontalPodAutoscaler>(`/apis/autoscaling/v2/namespaces/${ns}/horizontalpodautoscalers`),
  };
}

const CPU_UNITS: Readonly<Record<string, number>> = { n: 1e-6, u: 1e-3, m: 1, '': 1000 };
const MEMORY_UNITS: Readonly<Record<string, number>> = {
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
};

/** A CPU quantity (`250m`, `1`, `123456789n`) in millicores; `undefined` when malformed. */
export function parseCpu(quantity: string | undefined): number | undefined {
  const match = quantity === undefined ? null : /^(\d+(?:\.\d+)?)(n|u|m|)$/.exec(quantity);
  if (match === null) return undefined;
  const factor = CPU_UNITS[match[2] ?? ''];
  return factor === undefined ? undefined : Number(match[1]) * factor;
}

/** A memory quantity (`512Mi`, `1G`, `1048576`) in MiB; `undefined` when malformed. */
export function parseMemoryMiB(quantity: string | undefined): number | undefined {
  const match = quantity === undefined ? null : /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T|)$/.exec(quantity);
  if (match === null) return undefined;
  const factor = MEMORY_UNITS[match[2] ?? ''];
  return factor === undefined ? undefined : (Number(match[1]) * factor) / 1024 ** 2;
}
