import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../lib/test-support/helpers.js';
import { containerEnvironment, find, podTemplate, type Container } from './test-support/checks.js';
import { K8S_DIR, REPO_ROOT, render, toolsBin, type K8sObject } from './test-support/manifests.js';

/**
 * The init Job of the Kubernetes manifests, run as the cluster runs it: the `migrate` container's
 * arguments and environment (its ConfigMaps and env, rendered by kustomize), with the binary the
 * image ships (`dist/cli/main.js`), against the engine of this test project. Only the address, the
 * user and the database are the local ones. And the ClickHouse the manifests pin may not be newer
 * than the current engine the tests prove the migrations on.
 */
let db: TestDatabase;
let objects: K8sObject[];
let migrateContainer: Container;

beforeAll(async () => {
  db = await createTestDatabase('it_init_job');
  objects = (await render(await toolsBin(), join(K8S_DIR, 'overlays', 'local'))).objects;
  const job = find(objects, 'Job', 'telemetry-init');
  const container = job && podTemplate(job)?.spec.containers.find((c) => c.name === 'migrate');
  if (container === undefined) throw new Error('the init Job has no migrate container');
  migrateContainer = container;
});

afterAll(async () => {
  await db.drop();
});

function runContainer(container: Container): Promise<{ code: number; out: string; err: string }> {
  const problems: string[] = [];
  const fromManifest = containerEnvironment(objects, container, problems, 'Job/telemetry-init');
  expect(problems).toEqual([]);
  const env = {
    ...fromManifest,
    PATH: process.env.PATH ?? '',
    CLICKHOUSE_URL: db.config.clickhouse.url,
    CLICKHOUSE_USER: db.config.clickhouse.username,
    CLICKHOUSE_PASSWORD: db.config.clickhouse.password,
    CLICKHOUSE_DATABASE: db.name,
  };
  return new Promise((resolve) => {
    execFile(
      'node',
      [join(REPO_ROOT, 'dist', 'cli', 'main.js'), ...(container.args ?? [])],
      { env, timeout: 120_000 },
      (error, out, err) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        resolve({ code, out, err });
      },
    );
  });
}

/** `major.minor` of a ClickHouse version string, comparable as numbers. */
function release(version: string): [number, number] {
  const [major, minor] = version.split('.').map(Number);
  return [major ?? 0, minor ?? 0];
}

describe("the init Job's migrate container", () => {
  it('applies every migration, then nothing on a second run', async () => {
    const first = await runContainer(migrateContainer);
    expect(first.code, first.err).toBe(0);
    expect(first.out).toMatch(/: [1-9]\d* applied now, 0 already applied\n$/);
    const second = await runContainer(migrateContainer);
    expect(second.code, second.err).toBe(0);
    expect(second.out).toMatch(/: 0 applied now, [1-9]\d* already applied\n$/);
  });

  it('pins a ClickHouse no newer than the current engine the migrations are proven on', async () => {
    const statefulSet = find(objects, 'StatefulSet', 'clickhouse');
    const image = statefulSet && podTemplate(statefulSet)?.spec.containers[0]?.image;
    const pinned = /^clickhouse\/clickhouse-server:(\d+\.\d+)/.exec(image ?? '')?.[1];
    expect(pinned, `image ${image}`).toBeDefined();
    const url = new URL('/?query=SELECT%20version()', process.env.TEST_CURRENT_CLICKHOUSE_URL);
    const version = (await (await fetch(url)).text()).trim();
    const [pinnedMajor, pinnedMinor] = release(pinned ?? '');
    const [testedMajor, testedMinor] = release(version);
    expect(
      testedMajor > pinnedMajor || (testedMajor === pinnedMajor && testedMinor >= pinnedMinor),
      `the manifests pin ClickHouse ${pinned}, the tests run ${version}: raise CHDB_VERSION in scripts/stack.sh`,
    ).toBe(true);
  });
});
