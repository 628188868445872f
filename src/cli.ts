// The process boundary of `meshproof`: the only place that calls process.exit.
import { enableCompileCache, flushCompileCache } from 'node:module';
import { Interrupts } from './cli/interrupts.ts';
import { compileCacheDir } from './process/child-process.ts';

// The first instruction: SIGINT and SIGTERM are meshproof's from here on (exit 130, after cleaning
// up whatever was started), including while the rest of the CLI loads, which takes a while.
const interrupts = Interrupts.install(process);
// The CLI's own modules from the cache its children use: a start takes about half the time
// (0.5 s → 0.26–0.31 s for `validate` here) when it need not strip and compile them again.
enableCompileCache(compileCacheDir());
const { main, describeFailure } = await import('./cli/main.ts');

let code: number;
try {
  code = await main(process.argv.slice(2), interrupts);
} catch (err) {
  process.stderr.write(describeFailure(err));
  code = 2;
}
interrupts.uninstall();
// A pipe takes output asynchronously: exiting at once would cut off what is still queued
// (`meshproof explain big.yaml | less` showed a tenth of its lines). Exit once both streams have
// taken everything written so far, or after 10 s if a reader has stopped reading.
await Promise.race([
  Promise.all([process.stdout, process.stderr].map((s) => new Promise<void>((resolve) => s.write('', () => resolve())))),
  new Promise<void>((resolve) => setTimeout(resolve, 10_000).unref()),
]);
flushCompileCache();
process.exit(code);
