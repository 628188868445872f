import { existsSync } from 'node:fs';
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
