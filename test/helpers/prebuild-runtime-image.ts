import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkEngine, dockerClient } from '../../src/runtime/docker/docker-engine.ts';
import { ensureRuntimeImage } from '../../src/runtime/docker/runtime-image.ts';
import { PREBUILD_MARKER_ENV } from './prebuild-marker.ts';

const PREFIX = 'meshproof-test-prebuild-';

/**
vitest's global setup of the system tests: starts building the Docker runtime image when the run
begins, so that on a fresh machine (a cold build: ~25 s, docs/ci.md) it overlaps the computing and
untimed tests instead of holding up the first Docker file while the other core waits. It does not
wait for the build: the Docker suites still call `ensureRuntimeImage` before their tests
(test/runtime/docker/helpers.ts), which finds the image, or waits for this build under the
machine's build lock, or builds it again and fails with the build's own error if this one failed.
Without an engine it does nothing: those suites skip or fail as they say. While it builds, a file
named by $MESHPROOF_TEST_PREBUILD_MARKER exists, and no system test file starts
(wait-for-prebuild.ts): a build never overlaps a timed test. The teardown waits for the build, so the
suite never exits with one half done.
*/
export default async function prebuildRuntimeImage(): Promise<() => Promise<void>> {
  // A marker of a run that was killed: its owner is gone.
  for (const f of readdirSync(tmpdir()).filter((f) => f.startsWith(PREFIX))) {
    if (!alive(Number(f.slice(PREFIX.length)))) rmSync(join(tmpdir(), f), { force: true });
  }
  const marker = join(tmpdir(), `${PREFIX}${process.pid}`);
  writeFileSync(marker, String(process.pid));
  // Set before vitest forks its workers: they inherit it.
  process.env[PREBUILD_MARKER_ENV] = marker;
  const docker = dockerClient();
  const building = checkEngine(docker, 5000)
    .then(() => ensureRuntimeImage(docker))
    // Reported where it matters: the Docker suites' own ensureRuntimeImage tries again and fails there.
    .catch(() => undefined)
    .finally(() => rmSync(marker, { force: true }));
  return async () => void (await building);
}

function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
