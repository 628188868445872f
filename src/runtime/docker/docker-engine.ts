import { existsSync, readFileSync } from 'node:fs';
import Docker from 'dockerode';
import { MeshproofError } from '../../errors.ts';

/** How to reach the Docker engine: DOCKER_HOST when set, else the local socket (dockerode's rules). */
export function dockerClient(): Docker {
  return new Docker();
}

export interface EngineInfo {
  version: string;
  apiVersion: string;
}

/**
Checks that a Docker engine answers, within `timeoutMs`. Throws MESHPROOF_RUNTIME_UNAVAILABLE with
what to do when it does not: install it, start it, fix the permissions, or use the local runtime.
*/
export async function checkEngine(docker: Docker, timeoutMs = 5000): Promise<EngineInfo> {
  const where = process.env.DOCKER_HOST ?? '/var/run/docker.sock';
  let timer: NodeJS.Timeout | undefined;
  try {
    const version = await Promise.race([
      docker.version(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(Object.assign(new Error(`no answer within ${timeoutMs}ms`), { code: 'ETIMEDOUT' })), timeoutMs);
      }),
    ]);
    return { version: version.Version, apiVersion: version.ApiVersion };
  } catch (err) {
    throw new MeshproofError('MESHPROOF_RUNTIME_UNAVAILABLE', unavailableMessage(err as NodeJS.ErrnoException, where), { cause: err });
  } finally {
    clearTimeout(timer);
  }
}

function unavailableMessage(err: NodeJS.ErrnoException, where: string): string {
  const fix = [
    'install Docker (Debian/Ubuntu: apt-get install -y docker.io)',
    'start the engine (systemctl start docker, or dockerd & as root)',
    'or run on the local runtime (--runtime local), which needs nothing but Node',
  ];
  let why: string;
  if (err.code === 'ENOENT' && !process.env.DOCKER_HOST && !existsSync(where)) why = `no Docker engine socket at ${where}: Docker is not installed, or not running`;
  else if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED') why = `the Docker engine at ${where} is not running (${err.code})`;
  else if (err.code === 'EACCES') {
    why = `permission denied on ${where}`;
    fix.unshift('add your user to the docker group (usermod -aG docker $USER, then log in again)');
  } else why = `the Docker engine at ${where} did not answer: ${err.message}`;
  return `the docker runtime needs a running Docker engine: ${why}. To fix: ${fix.join('; ')}.`;
}

/**
Where a run's containers go in the cgroup tree, or undefined for Docker's default.

With cgroup v1 and Docker's `cgroupfs` driver, every container sits in `/docker`, and that one
group weighs as much as a single process of the host when CPU is short (cpu.shares 1024 each): on a
busy 2-core machine forty containers then share the time of one process, and a scenario that holds
on the local runtime times out on Docker. Placed in the harness's own cgroup instead, each container
competes like one of the local runtime's processes. Not done with the systemd driver (a parent must
be a slice there), on cgroup v2 (a cgroup holding processes cannot have children with controllers),
or with a remote engine (the harness's cgroup means nothing there).
*/
export async function podCgroupParent(docker: Docker, procSelfCgroup = '/proc/self/cgroup'): Promise<string | undefined> {
  const host = process.env.DOCKER_HOST;
  if (host && !host.startsWith('unix://')) return undefined;
  const info = (await docker.info().catch(() => null)) as { CgroupDriver?: string; CgroupVersion?: string } | null;
  if (info?.CgroupDriver !== 'cgroupfs' || String(info.CgroupVersion ?? '1') !== '1') return undefined;
  return harnessCpuCgroup(procSelfCgroup);
}

/** The harness's cgroup of the v1 `cpu` controller (`4:cpu,cpuacct:/some/path` → `/some/path`). */
export function harnessCpuCgroup(procSelfCgroup = '/proc/self/cgroup'): string | undefined {
  let text: string;
  try {
    text = readFileSync(procSelfCgroup, 'utf8');
  } catch {
    return undefined;
  }
  for (const line of text.split('\n')) {
    const [, controllers, path] = line.split(':');
    if (controllers?.split(',').includes('cpu') && path?.startsWith('/')) return path;
  }
  return undefined;
}
