import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, linkSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, sep } from 'node:path';
import type Docker from 'dockerode';
import { pack } from 'tar-fs';
import { MeshproofError } from '../../errors.ts';
import { pidAlive } from '../../process/pid-alive.ts';
import { codeLayout } from '../../util/code-layout.ts';
import { fileDigest } from './file-digest.ts';
import { ImageLeases } from './image-leases.ts';
import { LABEL } from './labels.ts';

/** meshproof's root (where package.json, docker/ and the code — src/ in a clone, dist/ once installed — are). */
export const PROJECT_ROOT = codeLayout.root;

/** Repository of meshproof's runtime image; the tag is the hash of its inputs. */
export const RUNTIME_IMAGE_REPO = 'meshproof-runtime';
/** Repository of its base (Node, libraries, busybox, production dependencies). */
export const RUNTIME_BASE_REPO = 'meshproof-runtime-base';

export interface RuntimeImageOptions {
  /** The project to package; its code is in the layout of the running meshproof (src/ or dist/). @default the project this file belongs to */
  root?: string;
  /**
  A Node image already present locally to build on (no pull is ever attempted), or null to always
  build FROM scratch out of the local Node binary. Its `node` must run meshproof's code (Node >= 22.19;
  a clone's TypeScript sources need type stripping, Node >= 22.18).
  @default $MESHPROOF_DOCKER_BASE_IMAGE, else a local `node:<major>…` image of the project's Node major or newer, else null
  */
  baseImage?: string | null;
  /** The Node binary to copy into a FROM-scratch image. @default <root>/node_modules/node/bin/node, else the running Node */
  nodeBinary?: string;
  /** A statically linked busybox (a shell in the image for `docker exec`), or null for none. @default busybox on PATH when static */
  busybox?: string | null;
  /** Receives the build's output lines (only when a build happens). */
  onBuildOutput?: (line: string) => void;
  /**
  Where this machine's meshproof processes record the images they use, so a build never removes
  them (see ImageLeases). @default <tmpdir>/meshproof/images
  */
  leases?: ImageLeases;
}

/** The hashes (and tags) of the two images of a checkout: equal for equal content, wherever it sits. */
export interface RuntimeImageKey {
  tag: string;
  hash: string;
  baseTag: string;
  baseHash: string;
  /** A local Node image the base is built on, or null for FROM scratch. */
  nodeImage: string | null;
}

export interface RuntimeImage {
  /** `meshproof-runtime:<hash>`. */
  tag: string;
  hash: string;
  /** False when an image with this hash was already there (nothing was built). */
  built: boolean;
  /** What its base was built on: `scratch` or a local Node image's name. */
  base: string;
  ms: number;
}

/** Builds in progress in this process, by tag: concurrent starts share one build. */
const building = new Map<string, Promise<void>>();

/**
The image every meshproof container runs (sidecars, the built-in app, the fault engine), built
locally — it must work with no registry reachable — and only when its inputs change. Two layers of
images, each tagged with the hash of its inputs:
- `meshproof-runtime-base:<hash>`: the Node binary with its libraries and busybox (or a local Node
  image), and the production dependencies as installed here (see dependencyTree). Rebuilt when
  Node or a dependency changes.
- `meshproof-runtime:<hash>`: the base plus package.json and the code (src/ in a clone, dist/ in an
  installed package). A change of the code costs a build of this small layer only.
The hashes are of contents only, so every checkout of the same code on this machine shares them.
After a build, the images nothing may still use are removed, so they do not pile up: never one that
a running meshproof process asked for, that a container uses, or that is the last one of a checkout
still on disk (see ImageLeases and removeRuntimeImages).
*/
export async function ensureRuntimeImage(docker: Docker, options: RuntimeImageOptions = {}): Promise<RuntimeImage> {
  const started = performance.now();
  const root = options.root ?? PROJECT_ROOT;
  const leases = options.leases ?? new ImageLeases();
  const { key, baseInputs, sources, appDockerfile, appDir } = await imageInputs(docker, root, options);
  const { tag, hash, baseTag, baseHash, nodeImage } = key;
  let built = false;
  // The lease is taken, and the image looked for, while no build removes images: an image found
  // here cannot be removed before this run's containers hold it.
  const found = await withImagesLock(async () => {
    leases.take(root, [hash, baseHash]);
    return imageExists(docker, tag);
  });
  // Another meshproof process may be building the same image right now (two runs started at once):
  // one build at a time on this machine, and the image is looked for again once it is our turn.
  // Two builds of one tag would leave the first one's image behind, untagged.
  if (!found) {
    await withBuildLock(async () => {
      if (await imageExists(docker, tag)) return;
      built = true;
      if (!(await imageExists(docker, baseTag))) {
        await buildOnce(docker, baseTag, baseHash, (stage) => stageBase(stage, root, baseInputs), nodeImage ? { NODE_IMAGE: nodeImage } : {}, options);
      }
      await buildOnce(
        docker,
        tag,
        hash,
        (stage) => {
          writeFileSync(join(stage, 'Dockerfile'), appDockerfile);
          for (const f of sources) place(f, join(stage, 'app', relative(root, f)));
        },
        { BASE: baseTag, APP_DIR: appDir },
        options,
      );
      await removeRuntimeImages(docker, { keep: [hash, baseHash], leases }).catch(() => 0);
    });
  }
  return { tag, hash, built, base: nodeImage ?? 'scratch', ms: Math.round(performance.now() - started) };
}

/**
The key of a checkout's images, from their inputs' content: the Node binary and its libraries (or
the local Node image's id), the dependency tree, the Dockerfiles and the code. Nothing depends on where
the checkout is or when its files were written, so a second checkout of the same code on this
machine finds the images the first one built.
*/
export async function runtimeImageKey(docker: Docker, options: RuntimeImageOptions = {}): Promise<RuntimeImageKey> {
  return (await imageInputs(docker, options.root ?? PROJECT_ROOT, options)).key;
}

async function imageInputs(docker: Docker, root: string, options: RuntimeImageOptions): Promise<{ key: RuntimeImageKey; baseInputs: BaseInputs; sources: string[]; appDockerfile: string; appDir: string }> {
  const nodeImage = options.baseImage !== undefined ? options.baseImage : (process.env.MESHPROOF_DOCKER_BASE_IMAGE || (await findLocalBaseImage(docker, root)));
  const baseInputs = nodeImage ? await nodeImageInputs(docker, root, nodeImage) : scratchInputs(root, options);
  const baseHash = hashOf(baseInputs.fingerprint);
  // Declarations are for editors, not for the containers.
  const sources = [join(root, 'package.json'), ...listFiles(join(root, codeLayout.dir)).filter((f) => !f.endsWith('.d.ts'))];
  // RUN's exec form takes no build arguments (and a FROM-scratch image may have no shell), so the
  // warm-up module's path, which differs between the layouts, is written into the Dockerfile.
  const appDockerfile = readFileSync(join(root, 'docker/runtime.Dockerfile'), 'utf8').replaceAll('{{WARM_COMPILE_CACHE}}', codeLayout.relative('runtime/docker/entry/warm-compile-cache.ts'));
  const appDir = baseInputs.appDir;
  const hash = hashOf({ baseHash, appDockerfile, appDir, sources: contentHash(root, sources) });
  return {
    key: { tag: `${RUNTIME_IMAGE_REPO}:${hash}`, hash, baseTag: `${RUNTIME_BASE_REPO}:${baseHash}`, baseHash, nodeImage },
    baseInputs,
    sources,
    appDockerfile,
    appDir,
  };
}

/**
Runs `fn` holding this machine's image-build lock: a file created exclusively in the temp folder,
holding the pid of its owner. A lock whose owner is gone (a crashed build) is taken over.
*/
function withBuildLock<T>(fn: () => Promise<T>): Promise<T> {
  // Calls in this process queue here first: the file lock is between processes.
  const run = buildQueue.then(() => withFileLock(join(tmpdir(), 'meshproof-image-build.lock'), fn, { what: 'building the runtime image', timeoutMs: 10 * 60_000, pollMs: 250 }));
  buildQueue = run.catch(() => {});
  return run;
}
let buildQueue: Promise<unknown> = Promise.resolve();

/**
Runs `fn` holding the lock between taking a lease and removing images: held for milliseconds (a
lease and a lookup, or the removal of one image), so a run never finds an image that a build in
another checkout then removes before the run's containers use it.
*/
function withImagesLock<T>(fn: () => Promise<T>): Promise<T> {
  const run = imagesQueue.then(() => withFileLock(join(tmpdir(), 'meshproof-images.lock'), fn, { what: 'removing an unused image', timeoutMs: 2 * 60_000, pollMs: 20 }));
  imagesQueue = run.catch(() => {});
  return run;
}
let imagesQueue: Promise<unknown> = Promise.resolve();

async function withFileLock<T>(path: string, fn: () => Promise<T>, o: { what: string; timeoutMs: number; pollMs: number }): Promise<T> {
  const { timeoutMs } = o;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      writeFileSync(path, String(process.pid), { flag: 'wx' });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number(readFileSync(path, 'utf8').trim() || 'NaN');
      if (owner === process.pid || !Number.isInteger(owner) || !pidAlive(owner)) {
        // Ours cannot be held by a live call (they queue in this process first): stale, as is a dead owner's.
        rmSync(path, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new MeshproofError('MESHPROOF_RUNTIME_START_FAILED', `another meshproof process (pid ${owner}) has been ${o.what} for ${Math.round(timeoutMs / 60_000)} minutes; if it is stuck, remove ${path}`);
      await new Promise((r) => setTimeout(r, o.pollMs));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(path, { force: true });
  }
}

export interface RemoveRuntimeImagesOptions {
  /** Hashes to keep whatever else is true (the images just built). @default [] */
  keep?: readonly string[];
  /** The leases that say which images other processes and checkouts still want. @default the machine's (<tmpdir>/meshproof/images) */
  leases?: ImageLeases;
  /**
  The label (`key=value`) that marks the candidate images. Note: tests give their own images another
  value, so that they act on those only. @default meshproof=1
  */
  selector?: string;
}

/**
Removes meshproof's runtime images that nothing may still use: not in `keep`, not leased by a
meshproof process that is still running, not the last images of a checkout that still exists, and
not used by any container (running or stopped). Returns how many were removed.
*/
export async function removeRuntimeImages(docker: Docker, options: RemoveRuntimeImagesOptions = {}): Promise<number> {
  const leases = options.leases ?? new ImageLeases();
  const images = await docker.listImages({ filters: { label: [options.selector ?? `${LABEL.meshproof}=1`] } });
  let removed = 0;
  // The runtime images first: a base cannot go while an image built on it exists.
  const order = (role: string | undefined) => (role === 'runtime-image' ? 0 : 1);
  images.sort((a, b) => order(a.Labels?.[LABEL.role]) - order(b.Labels?.[LABEL.role]));
  for (const img of images) {
    const role = img.Labels?.[LABEL.role];
    if (role !== 'runtime-image' && role !== 'runtime-base') continue;
    const hash = img.Labels?.[LABEL.imageHash] ?? '';
    if (options.keep?.includes(hash)) continue;
    // Looked at again for each image, under the lock a run takes its lease under.
    await withImagesLock(async () => {
      if (leases.inUse().has(hash)) return;
      const containers = await docker.listContainers({ all: true, filters: { ancestor: [img.Id] } });
      if (containers.length > 0) return;
      try {
        await docker.getImage(img.Id).remove({ noprune: false });
        removed++;
      } catch {
        /* a child image or a container appeared meanwhile, or it is already gone */
      }
    });
  }
  await pruneDanglingBuildLayers(docker);
  return removed;
}

interface BaseInputs {
  dockerfile: string;
  fingerprint: unknown;
  /** Files of the rootfs (FROM scratch only): path in the image → path on this machine. */
  rootfs: Map<string, string>;
  busybox: { path: string; applets: string[] } | null;
  deps: DependencyTree;
  /** meshproof's root in the image, relative to /meshproof (`.` in a clone). */
  appDir: string;
}

function scratchInputs(root: string, options: RuntimeImageOptions): BaseInputs {
  if (process.platform !== 'linux') {
    throw new MeshproofError(
      'MESHPROOF_RUNTIME_UNAVAILABLE',
      `the docker runtime builds its image from this machine's Node binary, which only works on Linux (this is ${process.platform}); load a Node image instead (docker pull node:24-slim, or docker load from a file) and it is used as the base, or name one with MESHPROOF_DOCKER_BASE_IMAGE`,
    );
  }
  const node = options.nodeBinary ?? (existsSync(join(root, 'node_modules/node/bin/node')) ? join(root, 'node_modules/node/bin/node') : process.execPath);
  const version = spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout?.trim() ?? '';
  if (!canRunCode(version)) {
    throw new MeshproofError(
      'MESHPROOF_RUNTIME_START_FAILED',
      codeLayout.compiled
        ? `the Node binary ${node} (${version || 'unknown version'}) cannot run meshproof in a container: it needs Node >= 22.19`
        : `the Node binary ${node} (${version || 'unknown version'}) cannot run meshproof's TypeScript sources in a container: it needs Node >= 22.18 (npm install brings Node 24 as the devDependency "node")`,
    );
  }
  const rootfs = new Map<string, string>([['usr/local/bin/node', node]]);
  for (const lib of sharedLibraries(node)) rootfs.set(lib.replace(/^\//, ''), realpathSync(lib));
  const busyboxPath = options.busybox === null ? null : (options.busybox ?? findStaticBusybox());
  const busybox = busyboxPath ? { path: busyboxPath, applets: busyboxApplets(busyboxPath) } : null;
  const dockerfile = readFileSync(join(root, 'docker/runtime-base.Dockerfile'), 'utf8');
  const deps = dependencyTree(root);
  return {
    dockerfile,
    rootfs,
    busybox,
    deps,
    appDir: deps.appDir,
    fingerprint: {
      // Bumped when the way the context is staged changes (2: modes kept as staged, /tmp 1777).
      staging: 2,
      dockerfile,
      // Contents, never times or places: two checkouts with the same Node share the base.
      node: [version, fileDigest(node)],
      rootfs: [...rootfs].map(([at, from]) => [at, fileDigest(from)]),
      busybox: busybox ? fileDigest(busybox.path) : null,
      deps: depsFingerprint(deps),
    },
  };
}

async function nodeImageInputs(docker: Docker, root: string, nodeImage: string): Promise<BaseInputs> {
  let id: string;
  try {
    id = (await docker.getImage(nodeImage).inspect()).Id;
  } catch {
    throw new MeshproofError('MESHPROOF_RUNTIME_START_FAILED', `the base image ${nodeImage} is not present locally (meshproof never pulls: no registry may be reachable); load it first, or unset MESHPROOF_DOCKER_BASE_IMAGE to build FROM scratch`);
  }
  const dockerfile = readFileSync(join(root, 'docker/runtime-base-on-node.Dockerfile'), 'utf8');
  const deps = dependencyTree(root);
  return { dockerfile, rootfs: new Map(), busybox: null, deps, appDir: deps.appDir, fingerprint: { dockerfile, nodeImage, id, deps: depsFingerprint(deps) } };
}

function stageBase(stage: string, root: string, inputs: BaseInputs): void {
  writeFileSync(join(stage, 'Dockerfile'), inputs.dockerfile);
  if (inputs.rootfs.size > 0) stageRootfs(join(stage, 'rootfs'), inputs);
  const { base, packages, links } = inputs.deps;
  mkdirSync(join(stage, 'deps'), { recursive: true });
  for (const p of packages) stageTree(join(base, p.path), join(stage, 'deps', p.path));
  for (const l of links) {
    mkdirSync(dirname(join(stage, 'deps', l.path)), { recursive: true });
    symlinkSync(l.target, join(stage, 'deps', l.path));
  }
}

function hashOf(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 16);
}

function contentHash(root: string, files: string[]): string {
  const h = createHash('sha256');
  for (const f of files) h.update(`${relative(root, f)}\0`).update(readFileSync(f)).update('\0');
  return h.digest('hex');
}

function buildOnce(docker: Docker, tag: string, hash: string, stageFiles: (stage: string) => void, buildargs: Record<string, string>, options: RuntimeImageOptions): Promise<void> {
  let pending = building.get(tag);
  if (!pending) {
    pending = buildImage(docker, tag, hash, stageFiles, buildargs, options).finally(() => building.delete(tag));
    building.set(tag, pending);
  }
  return pending;
}

async function buildImage(docker: Docker, tag: string, hash: string, stageFiles: (stage: string) => void, buildargs: Record<string, string>, options: RuntimeImageOptions): Promise<void> {
  const stage = mkdtempSync(join(tmpdir(), 'meshproof-image-'));
  try {
    stageFiles(stage);
    // Uncompressed: dockerode would gzip a context given as a folder, which costs seconds for the Node binary.
    // umask 0: modes as staged (tar-fs would apply the process's umask, and /tmp must stay 1777).
    const context = pack(stage, { umask: 0 } as Parameters<typeof pack>[1]) as unknown as NodeJS.ReadableStream;
    const stream = await docker.buildImage(context, {
      t: tag,
      labels: { [LABEL.imageHash]: hash },
      buildargs,
      rm: true,
      forcerm: true,
      pull: false,
    });
    await new Promise<void>((resolve, reject) => {
      docker.modem.followProgress(
        stream,
        (err: Error | null, events: { error?: string; errorDetail?: { message?: string } }[]) => {
          const failed = err ?? events.find((e) => e.error || e.errorDetail);
          if (!failed) return resolve();
          const why = failed instanceof Error ? failed.message : (failed.errorDetail?.message ?? failed.error);
          reject(new MeshproofError('MESHPROOF_RUNTIME_START_FAILED', `building the image ${tag} failed: ${why}`));
        },
        (e: { stream?: string }) => {
          if (e.stream?.trim()) options.onBuildOutput?.(e.stream.trimEnd());
        },
      );
    });
  } finally {
    rmSync(stage, { recursive: true, force: true });
    // A failed build leaves the steps it completed as untagged images; they carry the label of the
    // Dockerfile's first step, so they are found and removed.
    await pruneDanglingBuildLayers(docker).catch(() => {});
  }
}

async function pruneDanglingBuildLayers(docker: Docker): Promise<void> {
  await docker.pruneImages({ filters: { dangling: ['true'], label: [`${LABEL.meshproof}=1`] } });
}

function stageRootfs(dir: string, inputs: BaseInputs): void {
  for (const [at, from] of inputs.rootfs) place(from, join(dir, at));
  if (inputs.busybox) {
    place(inputs.busybox.path, join(dir, 'bin/busybox'));
    for (const applet of inputs.busybox.applets) {
      const at = join(dir, applet);
      if (existsSync(at)) continue;
      mkdirSync(dirname(at), { recursive: true });
      symlinkSync('/bin/busybox', at);
    }
  }
  mkdirSync(join(dir, 'tmp'), { recursive: true });
  chmodSync(join(dir, 'tmp'), 0o1777);
  mkdirSync(join(dir, 'etc'), { recursive: true });
  // glibc resolves container names (other pods, the fault engine) through Docker's DNS; say so
  // explicitly rather than rely on its built-in default.
  writeFileSync(join(dir, 'etc/nsswitch.conf'), 'hosts: files dns\n');
  writeFileSync(join(dir, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n');
  writeFileSync(join(dir, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n');
}

/** Hard-links a file into the build context (same file system), or copies it. */
function place(from: string, to: string): void {
  mkdirSync(dirname(to), { recursive: true });
  try {
    linkSync(from, to);
  } catch {
    copyFileSync(from, to);
  }
}

/** Copies a package's tree, without its nested node_modules (the production ones are staged on their own). */
function stageTree(from: string, to: string): void {
  if (!existsSync(from)) return;
  mkdirSync(to, { recursive: true });
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    if (entry.isDirectory() && entry.name === 'node_modules') continue;
    const a = join(from, entry.name);
    const b = join(to, entry.name);
    if (entry.isDirectory()) stageTree(a, b);
    else if (entry.isSymbolicLink()) symlinkSync(readlinkSync(a), b);
    else if (entry.isFile()) place(a, b);
  }
}

/**
meshproof's production dependencies as installed on this machine, for the image to have the same
tree: found the way Node finds them (`node_modules/<name>` in the folder of the package that needs
it, then in each parent), from meshproof's `dependencies`, then theirs, recursively (optional and
peer dependencies when installed). This works in a clone (everything under its node_modules) and in
a user's project, where npm hoists meshproof's dependencies beside it, and with pnpm's symlinked
layout (the links are kept). Paths are relative to `base`, the folder above every node_modules
involved, which becomes /meshproof in the image.
*/
export interface DependencyTree {
  base: string;
  /** meshproof's root relative to base (`.` in a clone, `node_modules/meshproof` in a project). */
  appDir: string;
  /** Package folders (real ones) to copy, without their nested node_modules, with their versions. */
  packages: { path: string; version: string }[];
  /** Symlinks at the paths Node looks in, to a relative target (pnpm). */
  links: { path: string; target: string }[];
}

export function dependencyTree(root: string): DependencyTree {
  const realRoot = realpathSync(root);
  const found = new Map<string, string>();
  const links = new Map<string, string>();
  const queue = [realRoot];
  while (queue.length > 0) {
    const dir = queue.shift()!;
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Record<string, Record<string, string> | undefined>;
    const wanted: [string, boolean][] = [
      ...Object.keys(manifest.dependencies ?? {}).map((n): [string, boolean] => [n, true]),
      ...Object.keys({ ...manifest.optionalDependencies, ...manifest.peerDependencies }).map((n): [string, boolean] => [n, false]),
    ];
    for (const [name, required] of wanted) {
      const at = lookUpPackage(dir, name);
      if (!at) {
        if (required && !(manifest.optionalDependencies ?? {})[name]) {
          throw new MeshproofError('MESHPROOF_RUNTIME_START_FAILED', `${name}, a dependency of ${dir === realRoot ? 'meshproof' : relative(realRoot, dir) || dir}, is not installed (looked for node_modules/${name} from ${dir} up); run npm install`);
        }
        continue;
      }
      const real = realpathSync(at);
      if (real !== at) links.set(at, real);
      if (real === realRoot || found.has(real)) continue;
      found.set(real, (JSON.parse(readFileSync(join(real, 'package.json'), 'utf8')) as { version?: string }).version ?? '');
      queue.push(real);
    }
  }
  const base = installBase([realRoot, ...found.keys(), ...links.keys()]);
  return {
    base,
    appDir: relative(base, realRoot) || '.',
    packages: [...found].map(([p, version]) => ({ path: relative(base, p), version })).sort((a, b) => a.path.localeCompare(b.path)),
    links: [...links].map(([at, real]) => ({ path: relative(base, at), target: relative(dirname(at), real) })).sort((a, b) => a.path.localeCompare(b.path)),
  };
}

/** Where Node's resolution finds package `name` from a package in `dir`, or null. */
function lookUpPackage(dir: string, name: string): string | null {
  for (let d = dir; ; d = dirname(d)) {
    if (basename(d) !== 'node_modules') {
      const candidate = join(d, 'node_modules', name);
      if (existsSync(join(candidate, 'package.json'))) return candidate;
    }
    if (dirname(d) === d) return null;
  }
}

/** The deepest folder above all `paths` and above every node_modules in them (resolution must find the same folders in the image). */
function installBase(paths: string[]): string {
  let common = paths[0].split(sep);
  for (const p of paths.slice(1)) {
    const parts = p.split(sep);
    let i = 0;
    while (i < common.length && i < parts.length && common[i] === parts[i]) i++;
    common = common.slice(0, i);
  }
  const nm = common.indexOf('node_modules');
  if (nm >= 0) common = common.slice(0, nm);
  return common.join(sep) || sep;
}

/**
The dependency tree as the base image's key sees it: where each package sits and at which version,
and the links — what an install decides, never where or when it happened (no times: a second
`npm ci` of the same lock, or another checkout, gives the same key; a version of a package is fixed
content on the registry).
*/
function depsFingerprint(deps: DependencyTree): unknown {
  return { appDir: deps.appDir, packages: deps.packages.map((p) => `${p.path}@${p.version}`), links: deps.links.map((l) => `${l.path}->${l.target}`) };
}

function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out.push(p);
    }
  };
  walk(dir);
  return out.sort();
}

/** The shared libraries and the loader a dynamically linked binary needs, per `ldd`. */
export function sharedLibraries(binary: string): string[] {
  const r = spawnSync('ldd', [binary], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    if (/not a dynamic executable|statically linked/.test(`${r.stdout}${r.stderr}`)) return [];
    throw new MeshproofError('MESHPROOF_RUNTIME_START_FAILED', `cannot list the libraries of ${binary} with ldd (${r.error?.message ?? r.stderr.trim()}); install it (Debian: libc-bin) or name a local Node image with MESHPROOF_DOCKER_BASE_IMAGE`);
  }
  const libs: string[] = [];
  for (const line of r.stdout.split('\n')) {
    const m = /=>\s*(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(0x/.exec(line);
    if (m) libs.push(m[1]);
  }
  return libs;
}

function findStaticBusybox(): string | null {
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(':')) {
    const p = join(dir, 'busybox');
    try {
      if (!lstatSync(p).isFile() && !statSync(p).isFile()) continue;
    } catch {
      continue;
    }
    return sharedLibraries(p).length === 0 ? realpathSync(p) : null;
  }
  return null;
}

function busyboxApplets(busybox: string): string[] {
  const r = spawnSync(busybox, ['--list-full'], { encoding: 'utf8' });
  if (r.status !== 0) return ['bin/sh'];
  return r.stdout.split('\n').filter((l) => l && !l.includes('..') && l !== 'linuxrc' && l !== 'bin/busybox');
}

/** Whether a Node of this version runs meshproof's code as laid out here: compiled JavaScript needs >= 22.19 (undici 8's minimum), the sources type stripping. */
function canRunCode(version: string): boolean {
  if (!codeLayout.compiled) return supportsTypeStripping(version);
  const m = /^v(\d+)\.(\d+)/.exec(version);
  return m !== null && (Number(m[1]) > 22 || (Number(m[1]) === 22 && Number(m[2]) >= 19));
}

export function supportsTypeStripping(version: string): boolean {
  const m = /^v(\d+)\.(\d+)/.exec(version);
  if (!m) return false;
  const [major, minor] = [Number(m[1]), Number(m[2])];
  return major > 22 || (major === 22 && minor >= 18);
}

/** A local `node:<tag>` image whose major is at least the project's Node major (no pull is ever attempted). */
async function findLocalBaseImage(docker: Docker, root: string): Promise<string | null> {
  let wanted = Number(process.versions.node.split('.')[0]);
  try {
    const v = (JSON.parse(readFileSync(join(root, 'node_modules/node/package.json'), 'utf8')) as { version: string }).version;
    wanted = Number(v.split('.')[0]);
  } catch {
    /* the running Node's major */
  }
  const images = await docker.listImages({ filters: { reference: ['node'] } });
  const candidates: { tag: string; major: number }[] = [];
  for (const img of images) {
    for (const t of img.RepoTags ?? []) {
      const m = /^node:(\d+)/.exec(t);
      if (m && Number(m[1]) >= wanted) candidates.push({ tag: t, major: Number(m[1]) });
    }
  }
  candidates.sort((a, b) => a.major - b.major || a.tag.localeCompare(b.tag));
  return candidates[0]?.tag ?? null;
}

async function imageExists(docker: Docker, tag: string): Promise<boolean> {
  try {
    await docker.getImage(tag).inspect();
    return true;
  } catch {
    return false;
  }
}
