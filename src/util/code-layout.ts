import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
Where meshproof's own code is, in the layout this copy runs from:
- a clone: the TypeScript sources in `src/`, run directly (Node >= 22.18 strips types);
- an installed package: the compiled JavaScript in `dist/` (Node strips no types under
  node_modules, so the package ships JavaScript and no sources).
Everything that starts or locates one of meshproof's own modules by path — a child process's entry,
a container's entry, the files packed into the Docker image — asks here, with the module's path
under `src/`, so both layouts work without a branch at each place.
*/
export interface CodeLayout {
  /** The package's root: package.json, schema/, scenarios/, docker/. */
  readonly root: string;
  /** The folder under `root` that holds the code that runs: `src` or `dist`. */
  readonly dir: 'src' | 'dist';
  /** True when the code is compiled JavaScript (an installed package). */
  readonly compiled: boolean;
  /** A module by its path under `src/` (`sim/sidecar/main.ts`), as an absolute path to the file that runs. */
  file(srcPath: string): string;
  /** The same, relative to `root` (`src/sim/sidecar/main.ts` or `dist/sim/sidecar/main.js`): a path inside the Docker image. */
  relative(srcPath: string): string;
}

// This file is `src/util/code-layout.ts` in a clone and `dist/util/code-layout.js` once compiled.
const compiled = import.meta.url.endsWith('.js');
const dir = compiled ? 'dist' : 'src';
const root = fileURLToPath(new URL('../../', import.meta.url));

function relative(srcPath: string): string {
  if (!srcPath.endsWith('.ts') || srcPath.startsWith('/') || srcPath.startsWith('.')) {
    throw new Error(`codeLayout: "${srcPath}" is not a module path under src/ (e.g. sim/sidecar/main.ts)`);
  }
  return `${dir}/${compiled ? srcPath.replace(/\.ts$/, '.js') : srcPath}`;
}

export const codeLayout: CodeLayout = {
  root,
  dir,
  compiled,
  file: (srcPath) => join(root, relative(srcPath)),
  relative,
};
