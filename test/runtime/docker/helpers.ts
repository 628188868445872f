import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, test } from 'vitest';
import type Docker from 'dockerode';
import { checkEngine, dockerClient } from '../../../src/runtime/docker/docker-engine.ts';
import { harnessAlive, LABEL } from '../../../src/runtime/docker/labels.ts';
import { ensureRuntimeImage } from '../../../src/runtime/docker/runtime-image.ts';

/** Whether a Docker engine answers here; why not, when it does not. Checked once per test file. */
export async function dockerEngine(): Promise<{ docker: Docker; why: null } | { docker: null; why: string }> {
  const docker = dockerClient();
  try {
    await checkEngine(docker, 5000);
    return { docker, why: null };
  } catch (err) {
    return { docker: null, why: (err as Error).message };
  }
}

/**
A suite that needs Docker. Without an engine it is skipped with the reason — unless
MESHPROOF_REQUIRE_DOCKER=1 (set by .ci/run), where a missing engine is a failure, not a skip.
*/
export function describeWithDocker(name: string, engine: Awaited<ReturnType<typeof dockerEngine>>, fn: (docker: Docker) => void): void {
  if (engine.docker) {
    const docker = engine.docker;
    describe(name, () => fn(docker));
  } else if (process.env.MESHPROOF_REQUIRE_DOCKER === '1') {
    test(name, () => assert.fail(`MESHPROOF_REQUIRE_DOCKER=1 but there is no Docker engine: ${engine.why}`));
  } else {
    // A skipped test (not an empty skipped suite), so the reason shows in the report.
    test.skip(`${name} — no Docker engine here (set MESHPROOF_REQUIRE_DOCKER=1 to fail instead): ${engine.why}`, () => {});
  }
}

/**
A suite of runs on Docker, as describeWithDocker (skipped with the reason, or failed under
MESHPROOF_REQUIRE_DOCKER=1, without an engine); before its tests, the runtime image is built (a cold
build takes ~45 s on a 2-core machine: here, not inside a test's own time limit) and what Docker
already holds is noted; after them, nothing is left of the runs in `runs` (the suite adds the id of
each run it starts) and no stray image appeared. `image()` is the runtime image's tag, once built.
The suite's own before hooks run after these, its after hooks before the check.
*/
export async function describeDockerRuns(name: string, runs: Set<string>, fn: (docker: Docker, image: () => string) => void): Promise<void> {
  const engine = await dockerEngine();
  describeWithDocker(name, engine, (docker) => {
    let image = '';
    let baseline: Leftovers | undefined;
    beforeAll(async () => void (image = (await ensureRuntimeImage(docker)).tag), 300_000);
    beforeAll(async () => void (baseline = await leftovers(docker)));
    afterAll(async () => assertRunsLeftNothing(docker, runs, baseline), 120_000);
    fn(docker, () => image);
  });
}

export interface Leftovers {
  containers: string[];
  networks: string[];
  /** Images labelled meshproof that are not the cached runtime images (a run's layer, a failed build's steps). */
  images: string[];
}

/**
What meshproof left in Docker: the containers and networks of one run, or else those of every run
whose harness is gone (a live run of someone else sharing the engine is not a leftover), and stray
images.
*/
export async function leftovers(docker: Docker, runId?: string): Promise<Leftovers> {
  const label = runId ? [`${LABEL.run}=${runId}`] : [`${LABEL.meshproof}=1`];
  const orphan = (labels: Record<string, string> | undefined) => runId !== undefined || !harnessAlive(labels ?? {});
  const containers = (await docker.listContainers({ all: true, filters: { label } })).filter((c) => orphan(c.Labels));
  const networks = (await docker.listNetworks({ filters: { label } })).filter((n) => orphan(n.Labels));
  // A run makes no image: images are only looked at in the check of everything.
  const images = runId ? [] : await docker.listImages({ all: true, filters: { label: [`${LABEL.meshproof}=1`] } });
  return {
    containers: containers.map((c) => `${c.Names.join(',')} (${c.State})`),
    networks: networks.map((n) => n.Name),
    images: images
      .filter((i) => {
        const role = i.Labels?.[LABEL.role];
        const tagged = (i.RepoTags ?? []).some((t) => t !== '<none>:<none>');
        // A tagged runtime image or base is the cache; an untagged one is a parent layer of it
        // (kept by Docker with it) or a stray: a build that was replaced, or failed half-way.
        if (tagged || (role !== 'runtime-image' && role !== 'runtime-base')) return false;
        return !isParentLayer(i, images);
      })
      .map((i) => `${i.Id.slice(7, 19)} ${(i.RepoTags ?? []).join(',')} role=${i.Labels?.[LABEL.role] ?? '?'}`),
  };
}

/** Whether an untagged image is an intermediate step of a tagged one (`docker images -a` lists them). */
function isParentLayer(image: Docker.ImageInfo, all: Docker.ImageInfo[]): boolean {
  const byId = new Map(all.map((i) => [i.Id, i]));
  for (const i of all) {
    if (!(i.RepoTags ?? []).some((t) => t !== '<none>:<none>')) continue;
    for (let p = byId.get(i.ParentId); p; p = byId.get(p.ParentId)) if (p.Id === image.Id) return true;
  }
  return false;
}

/**
Nothing left: of one run, or (without a run id) of any run whose harness is gone — except what was
already there before (`baseline`, from leftovers() in a before hook): on an engine shared with other
work, another process's crashed run is not this test's leftover.
*/
export async function assertNothingLeft(docker: Docker, runId?: string, baseline?: Leftovers): Promise<void> {
  const left = await leftovers(docker, runId);
  const minus = (now: string[], then: string[] | undefined) => now.filter((x) => !(then ?? []).includes(x));
  const fresh = { containers: minus(left.containers, baseline?.containers), networks: minus(left.networks, baseline?.networks), images: minus(left.images, baseline?.images) };
  assert.deepEqual(fresh, { containers: [], networks: [], images: [] }, `meshproof left these in Docker${runId ? ` (run ${runId})` : ''}`);
}

/** Polls until `check` resolves true or the deadline passes. */
export async function until(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs}ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
The end of a test file: every run it started (`runs`, by id) is gone from Docker, and no stray
meshproof image appeared (beyond `baseline`, what was there before the file ran). Runs are checked
by id, not by "every meshproof container": on an engine shared with other work (other test suites,
a bench), their live or crashed runs are not this file's leftovers.
*/
export async function assertRunsLeftNothing(docker: Docker, runs: Iterable<string>, baseline: Leftovers | undefined): Promise<void> {
  for (const id of runs) await assertNothingLeft(docker, id);
  const images = (await leftovers(docker)).images.filter((i) => !(baseline?.images ?? []).includes(i));
  assert.deepEqual(images, [], 'stray meshproof images (not the cached runtime image and its layers)');
}
