import type Docker from 'dockerode';
import { harnessAlive, LABEL } from './labels.ts';

export interface Reaped {
  containers: number;
  networks: number;
}

/**
Removes the containers and networks of runs whose harness is gone (kill -9, a crash, a power cut of
the terminal): the Docker runtime's counterpart of the local run registry. Found by label; a run is
only reaped when the harness pid recorded in its labels is no longer that harness (see harnessAlive).
*/
export async function reapLeftovers(docker: Docker, isAlive: (labels: Record<string, string>) => boolean = (l) => harnessAlive(l)): Promise<Reaped> {
  const containers = await docker.listContainers({ all: true, filters: { label: [`${LABEL.meshproof}=1`, LABEL.run] } });
  const deadRuns = new Set<string>();
  const doomed = containers.filter((c) => {
    if (isAlive(c.Labels ?? {})) return false;
    deadRuns.add(c.Labels[LABEL.run]);
    return true;
  });
  // Best effort: another process may be removing the same leftovers right now (its own teardown,
  // another run's reaper), and a leftover that resists is tried again at the next start.
  const removed = await Promise.all(doomed.map((c) => removeContainer(docker, c.Id).catch(() => false)));
  const networks = await docker.listNetworks({ filters: { label: [`${LABEL.meshproof}=1`, LABEL.run] } });
  let networksRemoved = 0;
  for (const n of networks) {
    const labels = n.Labels ?? {};
    if (!deadRuns.has(labels[LABEL.run]) && isAlive(labels)) continue;
    if (await removeNetwork(docker, n.Id).catch(() => false)) networksRemoved++;
  }
  return { containers: removed.filter(Boolean).length, networks: networksRemoved };
}

/** Removes a container, running or paused or not (`docker rm -f`); false when it was already gone. */
export async function removeContainer(docker: Docker, id: string): Promise<boolean> {
  try {
    await docker.getContainer(id).remove({ force: true, v: true });
    return true;
  } catch (err) {
    const status = (err as { statusCode?: number }).statusCode;
    // 404: gone already; 409: removal already in progress.
    if (status === 404 || status === 409) return false;
    throw err;
  }
}

export async function removeNetwork(docker: Docker, id: string): Promise<boolean> {
  try {
    await docker.getNetwork(id).remove();
    return true;
  } catch (err) {
    const status = (err as { statusCode?: number }).statusCode;
    // 404: gone already; 403: containers still attached (their removal is under way elsewhere).
    if (status === 404 || status === 403) return false;
    throw err;
  }
}
