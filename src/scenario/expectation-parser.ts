import type { ScenarioIssue } from '../errors.ts';
import { formatDuration, readDuration } from './duration.ts';
import { tokenize, type Token } from './expectation-tokens.ts';
import { METRIC_NAMES, metricSpec, type MetricSpec } from './metrics.ts';
import { readPercent } from './percent.ts';
import { readRate } from './rate.ts';
import type { Comparator, Expectation, Scope, Window } from './scenario.ts';
import { closest, didYouMean } from './suggest.ts';

/** What the parser needs to know about the scenario to check names and windows. */
export interface ExpectationTopology {
  /**
  Services in declaration order. `replicas` and `calls` are null when the file's value was invalid
  (already reported): instance indices and edges to such a service are then not checked. The whole
  list is null when the file has no valid services block: then names are not checked at all.
  */
  services: ReadonlyArray<{ name: string; replicas: number | null; calls: readonly string[] | null }> | null;
  /** The service the load generator calls (the only edge from `client`); null when unknown. */
  loadTarget: string | null;
  /** The scenario's duration, the bound for windows; null when unknown (then windows are not bounded). */
  durationMs: number | null;
}

/** Where the sentence sits in the scenario file: issues add each token's offset to `col`. */
export interface SentenceSite {
  file: string;
  /** e.g. `expect[2]` */
  path: string;
  line: number;
  col: number;
}

export interface ExpectationParse {
  expectation: Expectation | null;
  issues: ScenarioIssue[];
}

const COMPARATORS: readonly Comparator[] = ['<', '<=', '>', '>=', '==', '!='];

/**
Window forms, by their first word. v1 has one; fault-relative forms (`during f`, `before f`,
`after f.end`, `within 2s after f.start`) are added here as new entries with their own parse
function, returning new `Window` kinds.
*/
const WINDOW_FORMS: Record<string, { syntax: string; parse: (p: ExpectationParser, first: Token) => Window }> = {
  between: { syntax: 'between <duration> and <duration>', parse: (p, first) => p.parseBetween(first) },
};

/** Words of the fault-relative windows the design describes, answered with "not yet" rather than "unknown". */
const FAULT_WINDOW_WORDS: readonly string[] = ['during', 'before', 'after', 'within', 'from'];

const WINDOW_SYNTAX = Object.values(WINDOW_FORMS)
  .map((w) => w.syntax)
  .join(', ');
const WINDOW_HELP = `a window: ${WINDOW_SYNTAX}`;

/**
Parses one expectation sentence, `metric(scope) op value [window]`, checking names against the
topology. Syntax errors stop the sentence (the rest cannot be read reliably); name and value errors
are all reported. Issues are positioned at the offending token.
*/
export function parseExpectation(text: string, topology: ExpectationTopology, site: SentenceSite): ExpectationParse {
  const parser = new ExpectationParser(text, topology, site);
  return parser.run();
}

class Stop {}

class ExpectationParser {
  readonly #text: string;
  readonly #topology: ExpectationTopology;
  readonly #site: SentenceSite;
  readonly #tokens: Token[];
  #at = 0;
  readonly #issues: ScenarioIssue[] = [];

  constructor(text: string, topology: ExpectationTopology, site: SentenceSite) {
    this.#text = text;
    this.#topology = topology;
    this.#site = site;
    this.#tokens = tokenize(text);
  }

  run(): ExpectationParse {
    try {
      const metricToken = this.#next();
      if (metricToken.kind !== 'word') {
        this.#fail(metricToken, `expected a metric such as success_rate(client) >= 99.5%, found ${show(metricToken)} (metrics: ${METRIC_NAMES.join(', ')})`);
      }
      const metric = metricSpec(metricToken.text);
      if (!metric) {
        this.#report(metricToken, `unknown metric "${metricToken.text}"${didYouMean(metricToken.text, METRIC_NAMES)} (valid: ${METRIC_NAMES.join(', ')})`);
      }
      const open = this.#next();
      if (open.kind !== '(') {
        this.#fail(open, `expected "(" after ${metricToken.text}, found ${show(open)}; write ${metricToken.text}(<scope>), e.g. ${metricToken.text}(client)`);
      }
      const scope = this.#parseScope(metric, metricToken.text);
      const close = this.#next();
      if (close.kind !== ')') {
        this.#fail(close, `expected ")" to close the scope, found ${show(close)}`);
      }
      const op = this.#parseComparator(close);
      const value = this.#parseValue(metric, op.token);
      const window = this.#parseWindow();
      if (this.#issues.length > 0 || !metric || !scope) return { expectation: null, issues: this.#issues };
      return {
        expectation: {
          text: this.#text,
          metric: metric.name,
          scope,
          op: op.comparator,
          value,
          unit: metric.unit,
          window,
          line: this.#site.line,
          col: this.#site.col,
        },
        issues: [],
      };
    } catch (e) {
      if (e instanceof Stop) return { expectation: null, issues: this.#issues };
      throw e;
    }
  }

  // -------------------------------------------------------------------------------------------
  // Scope

  #parseScope(metric: MetricSpec | undefined, metricWord: string): Scope | null {
    const first = this.#next();
    if (first.kind === ')') {
      this.#fail(first, `empty scope; expected client, a service, an instance or an edge such as ${this.#exampleEdge()} inside ${metricWord}(...)`);
    }
    if (first.kind !== 'word') this.#fail(first, `expected a scope (client, a service, an instance or an edge a -> b), found ${show(first)}`);
    if (this.#peek().kind === 'arrow') {
      this.#next();
      const second = this.#next();
      if (second.kind !== 'word') this.#fail(second, `expected the service called after "->", found ${show(second)}`);
      return this.#edge(first, second);
    }
    if (metric?.edgeOnly) {
      const example = this.#exampleEdge(first.text);
      this.#report(
        first,
        `${metric.name} is measured at the caller's sidecar, so it needs an edge scope such as ${metric.name}(${example}); found "${first.text}"`,
      );
      return null;
    }
    return this.#single(first);
  }

  #single(token: Token): Scope | null {
    const name = token.text;
    if (name === 'client') return { kind: 'client' };
    if (this.#topology.services === null) return null;
    const service = this.#service(name);
    if (service) return { kind: 'service', service: service.name };
    const instance = this.#instance(token);
    if (instance) return { kind: 'instance', service: instance.service, instance: name };
    if (instance === undefined) {
      const names = ['client', ...this.#serviceNames(), ...this.#instanceNames()];
      this.#report(token, `unknown scope "${name}"${didYouMean(name, names)} (valid: client, a service: ${this.#serviceNames().join(', ')}, or an instance such as ${this.#instanceNames()[0] ?? 'none'})`);
    }
    return null;
  }

  #edge(fromToken: Token, toToken: Token): Scope | null {
    const from = fromToken.text;
    const to = toToken.text;
    if (this.#topology.services === null) return null;
    let fromOk = true;
    if (from !== 'client' && !this.#service(from)) {
      fromOk = false;
      const inst = /^(.*)-(\d+)$/.exec(from);
      if (inst && this.#service(inst[1])) {
        this.#report(fromToken, `an edge starts at client or a service, not an instance: all of ${inst[1]}'s sidecars count; write ${inst[1]} -> ${to}`);
      } else {
        this.#report(fromToken, `unknown caller "${from}"${didYouMean(from, ['client', ...this.#serviceNames()])} (valid: client, ${this.#serviceNames().join(', ')})`);
      }
    }
    let toService: string | null = null;
    let toInstance: string | undefined;
    if (to === 'client') {
      this.#report(toToken, `nothing calls client: it is the load generator; an edge ends at a service or an instance`);
    } else if (this.#service(to)) {
      toService = to;
    } else {
      const inst = this.#instance(toToken);
      if (inst) {
        toService = inst.service;
        toInstance = to;
      } else if (inst === undefined) {
        this.#report(toToken, `unknown service "${to}"${didYouMean(to, [...this.#serviceNames(), ...this.#instanceNames()])} (services: ${this.#serviceNames().join(', ')})`);
      }
    }
    if (!fromOk || toService === null) return null;
    if (from === 'client') {
      const target = this.#topology.loadTarget;
      if (target !== null && toService !== target) {
        this.#report(toToken, `client only calls the load target ${target}, not ${toService}; write client -> ${target}`);
        return null;
      }
    } else {
      const calls = this.#service(from)?.calls;
      if (calls && !calls.includes(toService)) {
        const list = calls.length ? `${from} calls: ${[...new Set(calls)].join(', ')}` : `${from} calls nothing`;
        this.#report(toToken, `${from} does not call ${toService}; ${list}`);
        return null;
      }
    }
    return toInstance === undefined ? { kind: 'edge', from, to: toService } : { kind: 'edge', from, to: toService, toInstance };
  }

  /**
  `store-1` as an instance of `store`. Returns undefined when the name is not shaped like an
  instance of a known service, null when it is but the index is out of range (reported here).
  */
  #instance(token: Token): { service: string } | null | undefined {
    const m = /^(.*)-(\d+)$/.exec(token.text);
    if (!m) return undefined;
    const service = this.#service(m[1]);
    if (!service) return undefined;
    const index = Number(m[2]);
    if (service.replicas !== null && (index >= service.replicas || String(index) !== m[2])) {
      const names = Array.from({ length: service.replicas }, (_, i) => `${service.name}-${i}`).join(', ');
      const plural = service.replicas === 1 ? 'replica' : 'replicas';
      this.#report(token, `${service.name} has ${service.replicas} ${plural} (${names}); there is no ${token.text}`);
      return null;
    }
    return { service: service.name };
  }

  #services() {
    return this.#topology.services ?? [];
  }

  #service(name: string) {
    return this.#services().find((s) => s.name === name);
  }

  #serviceNames(): string[] {
    return this.#services().map((s) => s.name);
  }

  #instanceNames(): string[] {
    return this.#services().flatMap((s) => Array.from({ length: s.replicas ?? 0 }, (_, i) => `${s.name}-${i}`));
  }

  /** An edge that exists, to show in a message: preferably one ending at `to`. */
  #exampleEdge(to?: string): string {
    const caller = this.#services().find((s) => to !== undefined && s.calls?.includes(to));
    if (caller && to !== undefined) return `${caller.name} -> ${to}`;
    if (to !== undefined && to === this.#topology.loadTarget) return `client -> ${to}`;
    const any = this.#services().find((s) => s.calls && s.calls.length > 0);
    if (any?.calls) return `${any.name} -> ${any.calls[0]}`;
    return this.#topology.loadTarget ? `client -> ${this.#topology.loadTarget}` : 'a -> b';
  }

  // -------------------------------------------------------------------------------------------
  // Comparison and value

  #parseComparator(after: Token): { comparator: Comparator; token: Token } {
    const token = this.#next();
    if (token.kind === 'op') {
      if (token.text === '=') {
        this.#report(token, 'found "="; compare with == (or <, <=, >, >=, !=)');
        return { comparator: '==', token };
      }
      return { comparator: token.text as Comparator, token };
    }
    this.#fail(token, `expected a comparison (${COMPARATORS.join(', ')}) after "${this.#text.slice(0, after.end)}", found ${show(token)}`);
  }

  #parseValue(metric: MetricSpec | undefined, op: Token): number {
    const token = this.#next();
    if (token.kind !== 'quantity') {
      const example = metric ? exampleValue(metric) : '99.5%';
      this.#fail(token, `expected a value after "${op.text}", such as ${example}; found ${show(token)}`);
    }
    if (!metric) return Number.NaN;
    const text = token.text;
    const bare = /^-?(\d+(\.\d+)?|\.\d+)$/.test(text);
    switch (metric.unit) {
      case 'ratio': {
        if (bare) {
          const n = Number(text);
          const suggestion = n > 0 && n <= 1 ? `${+(n * 100).toPrecision(12)}%` : `${text}%`;
          return this.#bad(token, `found "${text}" (a number); ${metric.name} is a percentage: write ${suggestion}`);
        }
        if (!text.endsWith('%')) return this.#bad(token, `found "${text}"; ${metric.name} is a percentage such as 99.5%`);
        const r = readPercent(text, { max: metric.maxRatio ?? 1 });
        return r.ok ? r.value : this.#bad(token, `${metric.name}: ${r.message}`);
      }
      case 'ms': {
        if (bare) return this.#bad(token, `found "${text}" (a number); ${metric.name} is a latency: write "${text}ms"`);
        const r = readDuration(text);
        return r.ok ? r.value : this.#bad(token, `${metric.name} is a latency: ${r.message}`);
      }
      case 'rps': {
        const r = readRate(text);
        return r.ok ? r.value : this.#bad(token, `rps is a rate: ${r.message}`);
      }
      case 'count': {
        if (!/^\d+$/.test(text)) {
          return this.#bad(token, `found "${text}"; ${metric.name} is a count: expected a whole number such as 0 or 100`);
        }
        return Number(text);
      }
    }
  }

  // -------------------------------------------------------------------------------------------
  // Window

  #parseWindow(): Window {
    const token = this.#peek();
    if (token.kind === 'end') return { kind: 'run' };
    if (token.kind === 'word' && Object.hasOwn(WINDOW_FORMS, token.text)) {
      this.#next();
      const window = WINDOW_FORMS[token.text].parse(this, token);
      const rest = this.#peek();
      if (rest.kind !== 'end') this.#fail(rest, `unexpected ${show(rest)} after the window; the expectation should end here`);
      return window;
    }
    if (token.kind === 'word' && FAULT_WINDOW_WORDS.includes(token.text)) {
      this.#fail(token, `"${token.text}" windows are relative to faults, which this meshproof does not support yet; valid windows: ${WINDOW_SYNTAX}`);
    }
    const near = token.kind === 'word' ? closest(token.text, Object.keys(WINDOW_FORMS)) : undefined;
    const hint = near ? ` (did you mean "${near}"?)` : '';
    this.#fail(token, `unexpected ${show(token)} after the value; expected the end of the expectation or ${WINDOW_HELP}${hint}`);
  }

  /** `between 2s and 8s`: from the 2nd to the 8th second of the run. */
  parseBetween(_first: Token): Window {
    const fromToken = this.#next();
    const fromMs = this.#windowDuration(fromToken, 'between');
    const and = this.#next();
    if (and.kind !== 'word' || and.text !== 'and') this.#fail(and, `expected "and" in between <duration> and <duration>, found ${show(and)}`);
    const toToken = this.#next();
    const toMs = this.#windowDuration(toToken, 'and');
    if (fromMs !== null && toMs !== null) {
      if (fromMs >= toMs) {
        this.#report(fromToken, `the window starts at ${formatDuration(fromMs)} but ends at ${formatDuration(toMs)}; the start must come before the end`);
      }
      const limit = this.#topology.durationMs;
      if (limit !== null && toMs > limit) {
        this.#report(toToken, `the window ends at ${formatDuration(toMs)}, after the run ends (duration ${formatDuration(limit)})`);
      } else if (limit !== null && fromMs > limit) {
        this.#report(fromToken, `the window starts at ${formatDuration(fromMs)}, after the run ends (duration ${formatDuration(limit)})`);
      }
    }
    return { kind: 'between', fromMs: fromMs ?? 0, toMs: toMs ?? 0 };
  }

  #windowDuration(token: Token, after: string): number | null {
    if (token.kind !== 'quantity') this.#fail(token, `expected a duration after "${after}", such as 2s; found ${show(token)}`);
    const r = readDuration(token.text);
    if (r.ok) return r.value;
    this.#report(token, r.message);
    return null;
  }

  // -------------------------------------------------------------------------------------------
  // Tokens and issues

  #peek(): Token {
    return this.#tokens[this.#at];
  }

  #next(): Token {
    const t = this.#tokens[this.#at];
    if (this.#at < this.#tokens.length - 1) this.#at++;
    return t;
  }

  #report(token: Token, message: string): void {
    this.#issues.push({ file: this.#site.file, line: this.#site.line, col: this.#site.col + token.start, path: this.#site.path, message });
  }

  #bad(token: Token, message: string): number {
    this.#report(token, message);
    return Number.NaN;
  }

  #fail(token: Token, message: string): never {
    this.#report(token, message);
    throw new Stop();
  }
}

function show(token: Token): string {
  return token.kind === 'end' ? 'the end of the sentence' : `"${token.text}"`;
}

function exampleValue(metric: MetricSpec): string {
  switch (metric.unit) {
    case 'ratio':
      return '99.5%';
    case 'ms':
      return '250ms';
    case 'rps':
      return '200/s';
    case 'count':
      return '0';
  }
}

