// The runtime image's key across checkouts, and which images a build may remove (issue 16).
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type Docker from 'dockerode';
import { pack } from 'tar-fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { dockerClient } from '../../../src/runtime/docker/docker-engine.ts';
import { ImageLeases } from '../../../src/runtime/docker/image-leases.ts';
import { LABEL } from '../../../src/runtime/docker/labels.ts';
import { dependencyTree, PROJECT_ROOT, removeRuntimeImages, runtimeImageKey } from '../../../src/runtime/docker/runtime-image.ts';
import { waitFor } from '../../../src/util/http-json.ts';

const tmp = mkdtempSync(join(tmpdir(), 'meshproof-image-key-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const docker = dockerClient();

/** A second checkout of this project: the same files in another folder, written now. */
function copyCheckout(name: string): string {
  const root = join(tmp, name);
  mkdirSync(root);
  for (const entry of ['src', 'docker', 'package.json', 'package-lock.json']) cpSync(join(PROJECT_ROOT, entry), join(root, entry), { recursive: true });
  // Its own installed dependencies, as its own `npm ci` would write them: the same tree, new files
  // with new times (and one of them dated years back).
  const deps = dependencyTree(PROJECT_ROOT);
  for (const p of deps.packages) cpSync(join(deps.base, p.path), join(root, p.path), { recursive: true, filter: (from) => !from.slice(join(deps.base, p.path).length).includes('/node_modules') });
  utimesSync(join(root, deps.packages[0].path, 'package.json'), new Date('2001-02-03'), new Date('2001-02-03'));
  return root;
}

describe('the runtime image key', () => {
  test('is the same for two checkouts with the same content, whatever the times of Node and of the installed dependencies; it changes with a source, with Node or with a dependency\'s version', async () => {
    const original = await runtimeImageKey(docker, { baseImage: null });
    const copy = copyCheckout('second');
    // Its own copy of the Node binary, written at another time, as a second `npm ci` would.
    const node = join(tmp, 'node-copy');
    copyFileSync(join(PROJECT_ROOT, 'node_modules/node/bin/node'), node);
    utimesSync(node, new Date('2001-02-03'), new Date('2001-02-03'));
    const second = await runtimeImageKey(docker, { root: copy, baseImage: null, nodeBinary: node });
    expect(second).toEqual(original);

    // One byte of one source: a new runtime image, on the same base.
    const file = join(copy, 'src/errors.ts');
    writeFileSync(file, readFileSync(file, 'utf8') + ' ');
    const edited = await runtimeImageKey(docker, { root: copy, baseImage: null, nodeBinary: node });
    expect(edited.baseHash).toBe(original.baseHash);
    expect(edited.hash).not.toBe(original.hash);

    // Another Node binary (one byte appended; it still runs): a new base.
    appendFileSync(node, Buffer.from([0]));
    const otherNode = await runtimeImageKey(docker, { root: copy, baseImage: null, nodeBinary: node });
    expect(otherNode.baseHash).not.toBe(original.baseHash);

    // Another version of a dependency: a new base.
    const yamlManifest = join(copy, 'node_modules/yaml/package.json');
    const manifest = JSON.parse(readFileSync(yamlManifest, 'utf8')) as { version: string };
    writeFileSync(yamlManifest, JSON.stringify({ ...manifest, version: `${manifest.version}-patched` }));
    const otherDep = await runtimeImageKey(docker, { root: copy, baseImage: null, nodeBinary: node });
    expect(otherDep.baseHash).not.toBe(otherNode.baseHash);
  }, 120_000);
});

describe('removing unused runtime images', () => {
  const id = `test-${randomBytes(4).toString('hex')}`;
  /** Only this test's images are candidates (other checkouts' real images are left alone). */
  const selector = `${LABEL.meshproof}=${id}`;
  const leasesDir = join(tmp, 'leases');
  const leases = new ImageLeases(leasesDir);
  const hashes = { running: `${id}-running`, stopped: `${id}-stopped`, leased: `${id}-leased`, checkout: `${id}-checkout`, unused: `${id}-unused` };
  const holders: ChildProcess[] = [];
  const containers: Docker.Container[] = [];

  /** A tiny image labelled as a runtime image of this test, with a static busybox to run. */
  async function buildImage(hash: string): Promise<string> {
    const context = join(tmp, `context-${hash}`);
    mkdirSync(context);
    copyFileSync('/usr/bin/busybox', join(context, 'busybox'));
    writeFileSync(join(context, 'Dockerfile'), 'FROM scratch\nCOPY busybox /bin/busybox\nCMD ["/bin/busybox", "sleep", "120"]\n');
    const tag = `meshproof-runtime-test:${hash}`;
    const stream = await docker.buildImage(pack(context) as unknown as NodeJS.ReadableStream, {
      t: tag,
      labels: { [LABEL.meshproof]: id, [LABEL.role]: 'runtime-image', [LABEL.imageHash]: hash },
      pull: false,
      rm: true,
    });
    await new Promise<void>((resolve, reject) => docker.modem.followProgress(stream, (err: Error | null, events: { error?: string }[]) => (err ?? events.find((e) => e.error) ? reject(err ?? new Error(events.find((e) => e.error)!.error)) : resolve())));
    return tag;
  }

  /** A child process that takes a lease on `hash` for the checkout at `root`, then waits (or exits at once). */
  async function leaseFrom(root: string, hash: string, stay: boolean): Promise<ChildProcess> {
    const script = `import { ImageLeases } from ${JSON.stringify(join(PROJECT_ROOT, 'src/runtime/docker/image-leases.ts'))};
new ImageLeases(${JSON.stringify(leasesDir)}).take(${JSON.stringify(root)}, [${JSON.stringify(hash)}]);
process.stdout.write('leased\\n');
${stay ? 'setInterval(() => {}, 1000);' : ''}`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    holders.push(child);
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
    await waitFor(() => (out.includes('leased') ? true : undefined), { timeoutMs: 15_000, intervalMs: 20, describe: () => 'the child took its lease' });
    if (!stay) await new Promise((r) => (child.exitCode === null ? child.once('exit', r) : r(null)));
    return child;
  }

  const present = async () => {
    const images = await docker.listImages({ filters: { label: [selector] } });
    return images.map((i) => i.Labels[LABEL.imageHash]).sort();
  };

  beforeAll(async () => {
    const tags = Object.fromEntries(await Promise.all(Object.entries(hashes).map(async ([k, h]) => [k, await buildImage(h)] as const)));
    const running = await docker.createContainer({ Image: tags.running, Labels: { [LABEL.meshproof]: id } });
    await running.start();
    const stopped = await docker.createContainer({ Image: tags.stopped, Labels: { [LABEL.meshproof]: id } });
    containers.push(running, stopped);
  }, 180_000);

  afterAll(async () => {
    for (const c of holders) c.kill('SIGKILL');
    for (const c of containers) await c.remove({ force: true }).catch(() => {});
    for (const h of Object.values(hashes)) await docker.getImage(`meshproof-runtime-test:${h}`).remove({ force: true }).catch(() => {});
  }, 60_000);

  test('keeps what a container, a running process or an existing checkout may use, and only that', async () => {
    // Leased by a live process of a checkout that is gone: only the lease protects it.
    const goneCheckout = join(tmp, 'gone-checkout');
    mkdirSync(goneCheckout);
    const holder = await leaseFrom(goneCheckout, hashes.leased, true);
    rmSync(goneCheckout, { recursive: true });
    // Used last by a checkout still on disk, whose process has exited: only the checkout record protects it.
    const liveCheckout = join(tmp, 'live-checkout');
    mkdirSync(liveCheckout);
    await leaseFrom(liveCheckout, hashes.checkout, false);

    expect(await removeRuntimeImages(docker, { leases, selector })).toBe(1);
    expect(await present()).toEqual([hashes.checkout, hashes.leased, hashes.running, hashes.stopped].sort());

    // Each protection, lifted, lets its image go.
    holder.kill('SIGKILL');
    await new Promise((r) => holder.once('exit', r));
    rmSync(liveCheckout, { recursive: true });
    await containers[1].remove({ force: true });
    expect(await removeRuntimeImages(docker, { leases, selector })).toBe(3);
    expect(await present()).toEqual([hashes.running]);

    // The running container's image goes only once the container does.
    await containers[0].remove({ force: true });
    expect(await removeRuntimeImages(docker, { leases, selector })).toBe(1);
    expect(await present()).toEqual([]);
  }, 120_000);
});
