import type { TrafficSplit } from '../../contract/mesh-policy.ts';
import type { Random } from '../../util/random.ts';

/**
A traffic split over a destination's versions (Istio VirtualService routes to DestinationRule
subsets): header-matched routes are tried in order and the first whose headers all match picks
the version (exact, case-sensitive values; header names in any case); otherwise the version is
drawn by weight from the seeded random. Compiled once per config push so a request only scans its
raw headers when there are routes.
*/
export class CompiledSplit {
  readonly versions: readonly string[];
  private readonly cumulative: number[];
  private readonly total: number;
  private readonly routes: { names: string[]; values: string[]; version: string }[];

  constructor(split: TrafficSplit) {
    const versions: string[] = [];
    const cumulative: number[] = [];
    let sum = 0;
    for (const [version, w] of Object.entries(split.weights)) {
      if (!(w > 0)) continue;
      sum += w;
      versions.push(version);
      cumulative.push(sum);
    }
    this.versions = versions;
    this.cumulative = cumulative;
    this.total = sum;
    this.routes = split.routes.map((r) => {
      const names: string[] = [];
      const values: string[] = [];
      for (const [n, v] of Object.entries(r.headers)) {
        names.push(n.toLowerCase());
        values.push(v);
      }
      return { names, values, version: r.version };
    });
  }

  /** Every version a request may be sent to (weighted or routed). */
  get allVersions(): string[] {
    return [...new Set([...this.versions, ...this.routes.map((r) => r.version)])];
  }

  /** The version for one request: the first matching route's, else a weighted draw; null when no weight is positive. */
  pickVersion(rawHeaders: readonly string[], random: Random): string | null {
    for (const r of this.routes) if (matches(r.names, r.values, rawHeaders)) return r.version;
    const n = this.versions.length;
    if (n === 0) return null;
    if (n === 1) return this.versions[0];
    const x = random() * this.total;
    for (let i = 0; i < n - 1; i++) if (x < this.cumulative[i]) return this.versions[i];
    return this.versions[n - 1];
  }
}

function matches(names: readonly string[], values: readonly string[], raw: readonly string[]): boolean {
  outer: for (let k = 0; k < names.length; k++) {
    const want = names[k];
    for (let i = 0; i < raw.length; i += 2) {
      const n = raw[i];
      if (n.length === want.length && (n === want || n.toLowerCase() === want) && raw[i + 1] === values[k]) continue outer;
    }
    return false;
  }
  return true;
}
