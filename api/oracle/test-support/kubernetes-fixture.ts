import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Deployment, HorizontalPodAutoscaler, Pod, PodMetrics } from '../kubernetes.js';

/**
 * An HTTP server that answers the few list calls the oracle makes as the Kubernetes API server
 * does: `DeploymentList`, `PodList`, `PodMetricsList`, `HorizontalPodAutoscalerList` with
 * `labelSelector` (equality terms), a `Status` object with 401 without the bearer token and 404 for
 * anything else. For tests that cannot run a cluster.
 */
export interface KubernetesFixture {
  url: string;
  /** Paths (with query) requested so far. */
  requests: string[];
  close(): Promise<void>;
}

export interface FixtureObjects {
  namespace: string;
  token: string;
  deployments: Deployment[];
  pods: Pod[];
  /** Absent: the metrics API answers 404, as on a cluster without metrics-server. */
  metrics?: PodMetrics[];
  autoscalers?: HorizontalPodAutoscaler[];
}

function status(res: ServerResponse, code: number, reason: string, message: string): void {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(
    JSON.stringify({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message,
      reason,
      code,
    }),
  );
}

function matches(labels: Record<string, string> | undefined, selector: string | null): boolean {
  if (selector === null || selector === '') return true;
  return selector.split(',').every((term) => {
    const [key = '', value = ''] = term.split('=');
    return labels?.[key] === value;
  });
}

function list(res: ServerResponse, kind: string, apiVersion: string, items: unknown[]): void {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ kind, apiVersion, metadata: { resourceVersion: '4242' }, items }));
}

export async function startKubernetesFixture(objects: FixtureObjects): Promise<KubernetesFixture> {
  const requests: string[] = [];
  const ns = objects.namespace;
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://fixture');
    requests.push(`${url.pathname}${url.search}`);
    if (req.headers.authorization !== `Bearer ${objects.token}`) {
      status(res, 401, 'Unauthorized', 'Unauthorized');
      return;
    }
    const selector = url.searchParams.get('labelSelector');
    switch (url.pathname) {
      case `/apis/apps/v1/namespaces/${ns}/deployments`:
        list(
          res,
          'DeploymentList',
          'apps/v1',
          objects.deployments.filter((d) => matches(d.metadata.labels, selector)),
        );
        return;
      case `/api/v1/namespaces/${ns}/pods`:
        list(
          res,
          'PodList',
          'v1',
          objects.pods.filter((p) => matches(p.metadata.labels, selector)),
        );
        return;
      case `/apis/metrics.k8s.io/v1beta1/namespaces/${ns}/pods`:
        if (objects.metrics === undefined)
          status(res, 404, 'NotFound', 'the server could not find the requested resource');
        else list(res, 'PodMetricsList', 'metrics.k8s.io/v1beta1', objects.metrics);
        return;
      case `/apis/autoscaling/v2/namespaces/${ns}/horizontalpodautoscalers`:
        list(res, 'HorizontalPodAutoscalerList', 'autoscaling/v2', objects.autoscalers ?? []);
        return;
      default:
        status(res, 404, 'NotFound', 'the server could not find the requested resource');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) =>
        server.close((error) => {
          if (error === undefined) resolve();
          else reject(error);
        }),
      ),
  };
}
