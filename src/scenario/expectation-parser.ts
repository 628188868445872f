import { DEFAULT_VERSION } from '../contract/defaults.ts';
import type { ScenarioIssue } from '../errors.ts';
import { formatDuration } from '../util/format.ts';
import { readDuration } from './duration.ts';
import { tokenize, type Token } from './expectation-tokens.ts';
import { METRIC_NAMES, metricSpec, type MetricSpec } from './metrics.ts';
import { atMost, LIMITS } from './limits.ts';
import { readPercent } from './percent.ts';
import { readRate } from './rate.ts';
import type { Anchor, AnyExpectation, Comparator, EjectedExpectation, Expectation, RecoveredExpectation, Scope, StateExpectation, Window } from './scenario.ts';
import type { InstanceState } from '../contract/state-change.ts';
import { SENTENCE_WORDS } from './shape.ts';
import { NameResolver, type NamePart } from './name-resolver.ts';
import { closest, didYouMean } from './suggest.ts';

/** What the parser needs to know about the scenario to check names and windows. */
export interface ExpectationTopology {
  /**
  Services in declaration order. `replicas`, `calls` and `versions` are null when the file's value
  was invalid (already reported): instance indices, edges and versions of such a service are then
  not checked. The whole list is null when the file has no valid services block: then names are not
  checked at all.
  */
  services: ReadonlyArray<{
    name: string;
    replicas: number | null;
    calls: readonly string[] | null;
    versions?: readonly string[] | null;
    /** Runs the user's own program (command or image) rather than the built-in service; null when unknown. */
    ownProgram?: boolean | null;
    /** A gateway or an external service; absent for a service of the mesh. */
    kind?: 'gateway' | 'external';
  }> | null;
  /** The service the load generator calls (the only edge from `client`); null when unknown. */
  loadTarget: string | null;
  /** The scenario's duration, the bound for windows; null when unknown (then windows are not bounded). */
  durationMs: number | null;
  /**
  The fault schedule: each fault's planned start and end (null: it lasts to the end of the run).
  Absent means the scenario has no faults; null means the faults block is invalid (already
  reported), so fault names are not checked.
  */
  faults?: ReadonlyArray<{ name: string; atMs: number; endMs: number | null; kind: string }> | null;
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
  expectation: AnyExpectation | null;
  issues: ScenarioIssue[];
}

const COMPARATORS: readonly Comparator[] = ['<', '<=', '>', '>=', '==', '!='];
const STATES: readonly InstanceState[] = ['healthy', 'ejected', 'killed', 'paused', 'unhealthy'];
const OPENING_WORDS: readonly string[] = [...METRIC_NAMES, ...SENTENCE_WORDS];

/** Window forms, by their first word. */
const WINDOW_FORMS: Record<string, { syntax: string; parse: (p: ExpectationParser, first: Token) => Window }> = {
  between: { syntax: 'between <duration> and <duration>', parse: (p, first) => p.parseBetween(first) },
  during: { syntax: 'during <fault> [from +<duration>]', parse: (p) => p.parseDuring() },
  before: { syntax: 'before <fault>', parse: (p) => p.parseBefore() },
  after: { syntax: 'after <fault>.start|.end [from +<duration>]', parse: (p) => p.parseAfter() },
};

const WINDOW_SYNTAX = Object.values(WINDOW_FORMS)
  .map((w) => w.syntax)
  .join(', ');
const WINDOW_HELP = `a window: ${WINDOW_SYNTAX}`;

/**
Parses one expectation sentence, checking names against the topology. Four forms:
`metric(scope) op value [window]`, `ejected(instance) within <d> after <anchor>`,
`recovered(scope, metric op value) within <d> after <anchor>`, `state(instance) == <state> at <anchor>`.
Syntax errors stop the sentence (the rest cannot be read reliably); name and value errors are all
reported. Issues are positioned at the offending token.
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

  /** Looks names up without reporting anything. */
  readonly #lookup: NameResolver;

  constructor(text: string, topology: ExpectationTopology, site: SentenceSite) {
    this.#lookup = new NameResolver(topology, () => {});
    this.#text = text;
    this.#topology = topology;
    this.#site = site;
    this.#tokens = tokenize(text);
  }

  run(): ExpectationParse {
    try {
      const first = this.#next();
      if (first.kind === 'word' && this.#peek().kind === '(') {
        let word = first.text;
        const near = metricSpec(word) ? undefined : closest(word, OPENING_WORDS);
        if (near && (SENTENCE_WORDS as readonly string[]).includes(near) && near !== word) {
          // A misspelt sentence word: say so, and read the rest as that sentence so its other mistakes show too.
          this.#unknownMetric(first);
          word = near;
        }
        if (word === 'ejected') return this.#done(this.#ejected(first));
        if (word === 'recovered') return this.#done(this.#recovered(first));
        if (word === 'state') return this.#done(this.#state(first));
      }
      return this.#done(this.#measurement(first));
    } catch (e) {
      if (e instanceof Stop) return { expectation: null, issues: this.#issues };
      throw e;
    }
  }

  #done(expectation: AnyExpectation | null): ExpectationParse {
    if (this.#issues.length > 0 || !expectation) return { expectation: null, issues: this.#issues };
    return { expectation, issues: [] };
  }

  #where(): { text: string; line: number; col: number } {
    return { text: this.#text, line: this.#site.line, col: this.#site.col };
  }

  /** `metric(scope) op value [window]` */
  #measurement(metricToken: Token): Expectation | null {
    if (metricToken.kind !== 'word') {
      this.#fail(metricToken, `expected a metric such as success_rate(client) >= 99.5%, found ${show(metricToken)} (metrics: ${METRIC_NAMES.join(', ')})`);
    }
    const metric = metricSpec(metricToken.text);
    if (!metric) this.#unknownMetric(metricToken);
    const open = this.#next();
    if (open.kind !== '(') {
      this.#fail(open, `expected "(" after ${metricToken.text}, found ${show(open)}; write ${metricToken.text}(<scope>), e.g. ${metricToken.text}(client)`);
    }
    const scope = this.#resolveScope(this.#parseScopeSyntax(metricToken.text, ')'), metric);
    const close = this.#next();
    if (close.kind !== ')') {
      this.#fail(close, `expected ")" to close the scope, found ${show(close)}`);
    }
    const op = this.#parseComparator(close);
    const value = this.#parseValue(metric, op.token);
    if (metric?.perRequest) this.#parsePerRequest(metric);
    const window = this.#parseWindow();
    if (!metric || !scope) return null;
    return { ...this.#where(), metric: metric.name, scope, op: op.comparator, value, unit: metric.unit, window, text: this.#text };
  }

  /** `per request` after the value of a per-request metric (attempts). */
  #parsePerRequest(metric: MetricSpec): void {
    const per = this.#next();
    const request = per.kind === 'word' && per.text === 'per' ? this.#next() : per;
    if (per.kind !== 'word' || per.text !== 'per' || request.kind !== 'word' || request.text !== 'request') {
      this.#fail(request, `expected "per request" after the value: ${metric.name} is counted in each request, e.g. ${metric.name}(${this.#exampleEdge()}) <= 3 per request; found ${show(request)}`);
    }
  }

  #unknownMetric(token: Token): void {
    const near = closest(token.text, OPENING_WORDS);
    const hint = near ? `; did you mean "${near}"?` : '';
    this.#report(token, `unknown metric "${token.text}"${hint} (valid: ${METRIC_NAMES.join(', ')}; or a sentence: ${SENTENCE_WORDS.map((w) => `${w}(…)`).join(', ')})`);
  }

  /** `ejected(instance) within <duration> after <anchor>` */
  #ejected(_word: Token): EjectedExpectation | null {
    this.#next();
    const target = this.#parseInstanceArgument('ejected', 'an ejection');
    const { withinMs, after } = this.#parseDeadline('ejected');
    this.#end('the deadline');
    if (!target || withinMs === null || !after) return null;
    return { ...this.#where(), kind: 'ejected', instance: target.instance, service: target.service, withinMs, after };
  }

  /** `recovered(scope, metric op value) within <duration> after <anchor>` */
  #recovered(_word: Token): RecoveredExpectation | null {
    this.#next();
    const syntax = this.#parseScopeSyntax('recovered', ',');
    const comma = this.#next();
    if (comma.kind !== ',') {
      this.#fail(comma, `expected "," and a condition after the scope, found ${show(comma)}; write recovered(client, success_rate >= 99.9%) within 5s after <fault>.end`);
    }
    const metricToken = this.#next();
    if (metricToken.kind !== 'word') this.#fail(metricToken, `expected a metric after ",", such as success_rate >= 99.9%; found ${show(metricToken)}`);
    const metric = metricSpec(metricToken.text);
    if (!metric) this.#unknownMetric(metricToken);
    if (this.#peek().kind === '(') {
      this.#fail(this.#peek(), `the condition's metric takes no scope of its own: it is measured on the scope before the comma; write ${metricToken.text} >= …`);
    }
    const scope = this.#resolveScope(syntax, metric);
    const op = this.#parseComparator(metricToken);
    const value = this.#parseValue(metric, op.token);
    const close = this.#next();
    if (close.kind !== ')') this.#fail(close, `expected ")" to close recovered(…), found ${show(close)}`);
    const { withinMs, after } = this.#parseDeadline('recovered');
    this.#end('the deadline');
    if (!metric || !scope || withinMs === null || !after) return null;
    return { ...this.#where(), kind: 'recovered', scope, condition: { metric: metric.name, op: op.comparator, value, unit: metric.unit }, withinMs, after };
  }

  /** `state(instance) ==|!= <state> at <anchor>` */
  #state(_word: Token): StateExpectation | null {
    this.#next();
    const target = this.#parseInstanceArgument('state', 'a state');
    const close = this.#peek();
    const opToken = this.#next();
    if (opToken.kind !== 'op' || (opToken.text !== '==' && opToken.text !== '!=')) {
      if (opToken.kind === 'op' && opToken.text === '=') this.#report(opToken, 'found "="; compare a state with == or !=');
      else this.#fail(opToken, `expected == or != after "${this.#text.slice(0, close.start).trimEnd()}", found ${show(opToken)}; write state(<instance>) == ejected at <fault>.start`);
    }
    const op: '==' | '!=' = opToken.text === '!=' ? '!=' : '==';
    const stateToken = this.#next();
    let state: InstanceState | null = null;
    if (stateToken.kind !== 'word') {
      this.#fail(stateToken, `expected a state (${STATES.join(', ')}), found ${show(stateToken)}`);
    } else if ((STATES as readonly string[]).includes(stateToken.text)) {
      state = stateToken.text as InstanceState;
    } else {
      this.#report(stateToken, `unknown state "${stateToken.text}"${didYouMean(stateToken.text, STATES)} (valid: ${STATES.join(', ')})`);
    }
    const atToken = this.#next();
    if (atToken.kind !== 'word' || atToken.text !== 'at') {
      this.#fail(atToken, `expected "at" and a moment after the state, such as at <fault>.start from +3s or at 5s; found ${show(atToken)}`);
    }
    const at = this.#parseAnchor(atToken);
    this.#end('the moment');
    if (!target || !state || !at) return null;
    return { ...this.#where(), kind: 'state', instance: target.instance, service: target.service, op, state, at };
  }

  /** `(instance)` of ejected(…) and state(…), closing parenthesis included. */
  #parseInstanceArgument(word: string, what: string): { instance: string; service: string } | null {
    const token = this.#next();
    if (token.kind === ')') this.#fail(token, `empty ${word}(); expected an instance such as ${this.#instanceNames()[0] ?? 'store-1'}`);
    if (token.kind !== 'word') this.#fail(token, `expected an instance inside ${word}(…), found ${show(token)}`);
    const close = this.#next();
    if (close.kind === 'arrow') {
      this.#fail(close, `${word}(…) takes one instance, not an edge: ${what} is about an endpoint, whichever caller's sidecar saw it`);
    }
    if (close.kind !== ')') this.#fail(close, `expected ")" after the instance, found ${show(close)}`);
    if (this.#topology.services === null) return null;
    const name = token.text;
    const inst = this.#instance(token);
    if (inst) return { instance: name, service: inst.service };
    if (inst === null) return null;
    const service = this.#service(name);
    if (service) {
      const names = service.replicas ? Array.from({ length: service.replicas }, (_, i) => `${service.name}-${i}`).join(', ') : `${service.name}-0`;
      this.#report(token, `${word}(…) takes one instance, not a service: ${what} is about one endpoint (${service.name} has ${names})`);
      return null;
    }
    this.#report(token, `unknown instance "${name}"${didYouMean(name, this.#instanceNames())} (instances: ${this.#instanceNames().join(', ') || 'none'})`);
    return null;
  }

  /** `within <duration> after <anchor>` */
  #parseDeadline(word: string): { withinMs: number | null; after: Anchor | null } {
    const within = this.#next();
    if (within.kind !== 'word' || within.text !== 'within') {
      this.#fail(within, `expected "within <duration> after <anchor>" after ${word}(…), found ${show(within)}; e.g. within 2s after p1.start`);
    }
    const d = this.#next();
    if (d.kind !== 'quantity') this.#fail(d, `expected a duration after "within", such as 2s; found ${show(d)}`);
    const r = readDuration(d.text);
    let withinMs: number | null = null;
    if (!r.ok) this.#report(d, r.message);
    else if (r.value <= 0) this.#report(d, `found "${d.text}"; the deadline must be above 0`);
    else if (r.value > LIMITS.duration.max) this.#report(d, `found "${d.text}"; ${atMost(LIMITS.duration)}`);
    else withinMs = r.value;
    const after = this.#next();
    if (after.kind !== 'word' || after.text !== 'after') {
      this.#fail(after, `expected "after <fault>.start", "after <fault>.end" or "after <duration>" after the deadline, found ${show(after)}`);
    }
    return { withinMs, after: this.#parseAnchor(after) };
  }

  /** `<fault>.start|.end [from +<duration>]` or a time `<duration>`. */
  #parseAnchor(before: Token): Anchor | null {
    const token = this.#peek();
    if (token.kind === 'quantity') {
      this.#next();
      const r = readDuration(token.text);
      if (!r.ok) {
        this.#report(token, r.message);
        return null;
      }
      const limit = this.#topology.durationMs;
      if (limit !== null && r.value >= limit) {
        this.#report(token, `${formatDuration(r.value)} is not within the run (duration ${formatDuration(limit)})`);
        return null;
      }
      return { kind: 'time', ms: r.value };
    }
    if (token.kind !== 'word') {
      this.#fail(token, `expected a fault's start or end (such as p1.start) or a time (such as 5s) after "${before.text}", found ${show(token)}`);
    }
    const ref = this.#parseFaultEdge(before.text);
    const offsetMs = this.#parseOffset();
    if (!ref || offsetMs === null) return null;
    if (ref.fault && offsetMs > 0) this.#checkInsideRun(ref.time + offsetMs, `${ref.name}.${ref.edge} + ${formatDuration(offsetMs)}`, ref.token);
    return { kind: 'fault', fault: ref.name, edge: ref.edge, offsetMs };
  }

  /** `<fault>.start` or `<fault>.end`, checked against the schedule. */
  #parseFaultEdge(after: string): { name: string; edge: 'start' | 'end'; time: number; fault: boolean; token: Token } | null {
    const nameToken = this.#next();
    const fault = this.#fault(nameToken);
    const dot = this.#peek();
    if (dot.kind !== '.') {
      this.#fail(dot, `expected ".start" or ".end" after the fault's name: write ${after} ${nameToken.text}.start or ${after} ${nameToken.text}.end`);
    }
    this.#next();
    const edgeToken = this.#next();
    if (edgeToken.kind !== 'word' || (edgeToken.text !== 'start' && edgeToken.text !== 'end')) {
      const near = edgeToken.kind === 'word' ? didYouMean(edgeToken.text, ['start', 'end']) : '';
      this.#fail(edgeToken, `expected start or end after "${nameToken.text}.", found ${show(edgeToken)}${near}`);
    }
    const edge = edgeToken.text as 'start' | 'end';
    if (fault === undefined) return { name: nameToken.text, edge, time: 0, fault: false, token: edgeToken };
    if (fault === null) return null;
    if (edge === 'end' && fault.endMs === null) {
      this.#report(edgeToken, `${fault.name} has no end: it lasts until the run ends (${endlessWhy(fault.kind)}); use ${fault.name}.start, or give it an end`);
      return null;
    }
    return { name: fault.name, edge, time: edge === 'start' ? fault.atMs : fault.endMs!, fault: true, token: edgeToken };
  }

  /** `from +3s` (the + is optional); 0 when absent, null when invalid (reported). */
  #parseOffset(): number | null {
    const from = this.#peek();
    if (from.kind !== 'word' || from.text !== 'from') return 0;
    this.#next();
    if (this.#peek().kind === '+') this.#next();
    const d = this.#next();
    if (d.kind !== 'quantity') this.#fail(d, `expected an offset after "from", such as +3s; found ${show(d)}`);
    if (d.text.startsWith('-')) {
      this.#report(d, `found "${d.text}"; an offset counts forward from its fault: write +${d.text.slice(1)}, or use before <fault> for the time before it`);
      return null;
    }
    const r = readDuration(d.text);
    if (!r.ok) {
      this.#report(d, r.message);
      return null;
    }
    if (r.value > LIMITS.duration.max) {
      this.#report(d, `found "${d.text}"; ${atMost(LIMITS.duration)}`);
      return null;
    }
    return r.value;
  }

  /**
  A fault of the schedule by name: undefined when fault names are not checked (the faults block is
  invalid), null when unknown (reported with the nearest name).
  */
  #fault(token: Token): { name: string; atMs: number; endMs: number | null; kind: string } | null | undefined {
    if (token.kind !== 'word') this.#fail(token, `expected a fault's name, found ${show(token)}`);
    const faults = this.#topology.faults;
    if (faults === null) return undefined;
    const found = (faults ?? []).find((f) => f.name === token.text);
    if (found) return found;
    const names = (faults ?? []).map((f) => f.name);
    const list = names.length ? `faults: ${names.join(', ')}` : 'this scenario has no faults; declare them under faults:';
    this.#report(token, `unknown fault "${token.text}"${didYouMean(token.text, names)} (${list})`);
    return null;
  }

  #checkInsideRun(ms: number, what: string, token: Token): void {
    const limit = this.#topology.durationMs;
    if (limit !== null && ms >= limit) this.#report(token, `${what} is ${formatDuration(ms)}, when the run is over (duration ${formatDuration(limit)})`);
  }

  #end(after: string): void {
    const rest = this.#peek();
    if (rest.kind !== 'end') this.#fail(rest, `unexpected ${show(rest)} after ${after}; the expectation should end here`);
  }

  // -------------------------------------------------------------------------------------------
  // Scope

  /**
  The words of a scope, up to (not including) `close`: `client`, `store`, `store-1`, `a -> b`, or
  `reviews v2` (a version). Only the syntax: names are checked once the metric is known.
  */
  #parseScopeSyntax(word: string, close: ')' | ','): ScopeSyntax {
    const first = this.#next();
    if (first.kind === close || first.kind === ')') {
      this.#fail(first, `empty scope; expected client, a service, an instance or an edge such as ${this.#exampleEdge()} inside ${word}(...)`);
    }
    if (first.kind !== 'word') this.#fail(first, `expected a scope (client, a service, an instance or an edge a -> b), found ${show(first)}`);
    if (this.#peek().kind === 'arrow') {
      this.#next();
      const second = this.#next();
      if (second.kind !== 'word') this.#fail(second, `expected the service called after "->", found ${show(second)}`);
      return { kind: 'edge', from: first, to: second };
    }
    if (this.#peek().kind === 'word') return { kind: 'version', service: first, version: this.#next() };
    return { kind: 'single', name: first };
  }

  /** The scope the words name, checked against the topology and what the metric can be measured on. */
  #resolveScope(syntax: ScopeSyntax, metric: MetricSpec | undefined): Scope | null {
    const head = syntax.kind === 'edge' ? syntax.from : syntax.kind === 'version' ? syntax.service : syntax.name;
    if (metric?.versionOnly && syntax.kind !== 'version') {
      const example = this.#exampleVersion(syntax.kind === 'edge' ? syntax.to.text : head.text);
      this.#report(head, `${metric.name} is the share of a service's requests that one version received, so it takes a service and a version, such as ${metric.name}(${example})`);
      return null;
    }
    if (metric?.edgeOnly && syntax.kind !== 'edge') {
      const example = this.#exampleEdge(head.text);
      this.#report(head, `${metric.name} is measured at the caller's sidecar, so it needs an edge scope such as ${metric.name}(${example}); found "${head.text}"`);
      return null;
    }
    let scope: Scope | null;
    if (syntax.kind === 'edge') scope = this.#edge(syntax.from, syntax.to);
    else if (syntax.kind === 'version') scope = this.#version(syntax.service, syntax.version);
    else scope = this.#single(syntax.name);
    if (scope && metric?.builtinOnly && 'service' in scope) {
      const s = this.#service(scope.service);
      if (s?.ownProgram) {
        this.#report(head, `${metric.name} is measured by the built-in service, which keeps count of its work; ${scope.service} runs its own program (command or image), which reports none`);
        return null;
      }
    }
    const reason = scope && metric?.notOn?.[scope.kind];
    if (scope && metric && reason && metric.builtinOnly) {
      // Work is counted at a callee: name one.
      const callee = scope.kind === 'edge' ? scope.to : (this.#topology.loadTarget ?? this.#serviceNames()[0] ?? 'store');
      this.#report(head, `${metric.name} is not measured on ${scopeKindNoun(scope.kind)}: ${reason}; use ${metric.name}(${callee})`);
      return null;
    }
    if (scope && metric && reason) {
      const instead = scope.kind === 'instance' || scope.kind === 'version' ? `${metric.name}(${scope.service})` : `${metric.name}(client)`;
      this.#report(head, `${metric.name} is not measured on ${scopeKindNoun(scope.kind)}: ${reason}; use ${instead} or an edge such as ${metric.name}(${this.#exampleEdge('service' in scope ? scope.service : undefined)})`);
      return null;
    }
    return scope;
  }

  /** `reviews v2`: the instances of one version of a service. */
  #version(serviceToken: Token, versionToken: Token): Scope | null {
    if (this.#topology.services === null) return null;
    const service = this.#service(serviceToken.text);
    if (!service) {
      const inst = this.#instance(serviceToken);
      if (inst === null) return null;
      const hint = inst ? `; a version scope starts with a service, such as ${inst.service} ${versionToken.text}` : didYouMean(serviceToken.text, this.#serviceNames());
      this.#report(serviceToken, `unknown service "${serviceToken.text}"${hint} (services: ${this.#serviceNames().join(', ')})`);
      return null;
    }
    const versions = service.versions;
    if (versions && !versions.includes(versionToken.text)) {
      this.#report(
        versionToken,
        `${service.name} has no version "${versionToken.text}"${didYouMean(versionToken.text, versions)} (its versions: ${versions.join(', ')}; set services.${service.name}.version or instances.<instance>.version)`,
      );
      return null;
    }
    return { kind: 'version', service: service.name, version: versionToken.text };
  }

  #exampleVersion(service?: string): string {
    const s = this.#service(service ?? '') ?? this.#services().find((x) => (x.versions?.length ?? 0) > 1) ?? this.#services()[0];
    return s ? `${s.name} ${s.versions?.[s.versions.length - 1] ?? DEFAULT_VERSION}` : 'reviews v2';
  }

  #single(token: Token): Scope | null {
    const name = token.text;
    if (name === 'client') return { kind: 'client' };
    if (this.#topology.services === null) return null;
    const service = this.#service(name);
    if (service?.kind === 'external') return this.#external(token, service.name);
    if (service) return { kind: 'service', service: service.name };
    const instance = this.#instance(token);
    if (instance && this.#service(instance.service)?.kind === 'external') return this.#external(token, instance.service);
    if (instance) return { kind: 'instance', service: instance.service, instance: name };
    if (instance === undefined) {
      const names = ['client', ...this.#serviceNames(), ...this.#instanceNames()];
      this.#report(token, `unknown scope "${name}"${didYouMean(name, names)} (valid: client, a service: ${this.#serviceNames().join(', ')}, or an instance such as ${this.#instanceNames()[0] ?? 'none'})`);
    }
    return null;
  }

  #edge(fromToken: Token, toToken: Token): Scope | null {
    if (this.#topology.services === null) return null;
    const edge = this.#names({ from: fromToken, to: toToken, name: toToken }).edge(fromToken.text, toToken.text, (caller) => `all of ${caller}'s sidecars count`, { meshClusters: true });
    return edge && { kind: 'edge', ...edge };
  }

  /** An external service has no sidecar, so nothing measures it from inside: its callers' edges do. */
  #external(token: Token, name: string): null {
    const caller = this.#services().find((s) => s.calls?.includes(name) && s.kind === undefined) ?? this.#services().find((s) => s.calls?.includes(name));
    this.#report(token, `${name} is an external service: it has no sidecar to measure it at; measure the calls to it on an edge, such as ${caller ? `${caller.name} -> ${name}` : `<caller> -> ${name}`}`);
    return null;
  }

  /** Names resolved against the topology; a problem is reported at the token of the part it is about. */
  #names(at: Record<NamePart, Token>): NameResolver {
    return new NameResolver(this.#topology, (part, message) => this.#report(at[part], message));
  }

  /**
  `store-1` as an instance of `store`. Returns undefined when the name is not shaped like an
  instance of a known service, null when it is but the index is out of range (reported here).
  */
  #instance(token: Token): { service: string } | null | undefined {
    const n = this.#names({ from: token, to: token, name: token }).named(token.text);
    if (n === null) return null;
    return n?.instance === undefined ? undefined : { service: n.service };
  }

  #services() {
    return this.#topology.services ?? [];
  }


  #service(name: string) {
    return this.#lookup.service(name);
  }

  #serviceNames(): string[] {
    return this.#lookup.serviceNames();
  }

  #instanceNames(): string[] {
    return this.#lookup.instanceNames();
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
    if (token.kind === 'word' && token.text === 'within') {
      this.#fail(token, `"within" sets a deadline for ejected(…) and recovered(…); a measurement takes ${WINDOW_HELP}`);
    }
    if (token.kind === 'word' && token.text === 'from') {
      this.#fail(token, `an offset (from +3s) follows a fault window: during <fault> from +3s, or after <fault>.end from +2s`);
    }
    const near = token.kind === 'word' ? closest(token.text, Object.keys(WINDOW_FORMS)) : undefined;
    const hint = near ? ` (did you mean "${near}"?)` : '';
    this.#fail(token, `unexpected ${show(token)} after the value; expected the end of the expectation or ${WINDOW_HELP}${hint}`);
  }

  /** `during p1 [from +3s]`: from the fault's start (plus the offset) to its end. */
  parseDuring(): Window {
    const nameToken = this.#peek();
    const fault = this.#fault(this.#next());
    if (this.#peek().kind === '.') {
      this.#fail(this.#peek(), `during takes the fault's name alone (its whole window): write during ${nameToken.text}, or after ${nameToken.text}.start for a window from its start to the end of the run`);
    }
    const fromOffsetMs = this.#parseOffset();
    const offsetToken = this.#tokens[Math.max(0, this.#at - 1)];
    if (fault && fromOffsetMs !== null) {
      if (fault.endMs !== null && fault.endMs <= fault.atMs) {
        this.#report(nameToken, `${fault.name} is instant (${fault.kind === 'process' ? 'a restart' : 'it has no length'}), so nothing happens during it; use after ${fault.name}.start`);
      } else if (fault.endMs !== null && fromOffsetMs >= fault.endMs - fault.atMs) {
        this.#report(offsetToken, `the window would start ${formatDuration(fromOffsetMs)} into ${fault.name}, but ${fault.name} lasts ${formatDuration(fault.endMs - fault.atMs)}; use a smaller offset`);
      } else {
        this.#checkInsideRun(fault.atMs + fromOffsetMs, `${fault.name}.start + ${formatDuration(fromOffsetMs)}`, offsetToken);
      }
    }
    return { kind: 'during', fault: nameToken.text, fromOffsetMs: fromOffsetMs ?? 0 };
  }

  /** `before p1`: from the start of the run to the fault's start. */
  parseBefore(): Window {
    const nameToken = this.#peek();
    const fault = this.#fault(this.#next());
    if (this.#peek().kind === '.') this.#fail(this.#peek(), `before takes the fault's name alone: write before ${nameToken.text} (from the start of the run to ${nameToken.text}'s start)`);
    if (fault && fault.atMs === 0) this.#report(nameToken, `${fault.name} starts at 0s, so there is no time before it`);
    return { kind: 'before', fault: nameToken.text };
  }

  /** `after p1.end [from +2s]`: from the fault's start or end (plus the offset) to the end of the run. */
  parseAfter(): Window {
    if (this.#peek().kind === 'quantity') {
      this.#fail(this.#peek(), `after takes a fault (after p1.end); for a window between two times, write between ${this.#peek().text} and <duration>`);
    }
    const ref = this.#parseFaultEdge('after');
    const offsetMs = this.#parseOffset();
    if (ref?.fault && offsetMs !== null) this.#checkInsideRun(ref.time + offsetMs, `${ref.name}.${ref.edge}${offsetMs > 0 ? ` + ${formatDuration(offsetMs)}` : ''}`, ref.token);
    return { kind: 'after', fault: ref?.name ?? '', edge: ref?.edge ?? 'end', offsetMs: offsetMs ?? 0 };
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

/** The words of a scope before their names are checked. */
type ScopeSyntax = { kind: 'single'; name: Token } | { kind: 'edge'; from: Token; to: Token } | { kind: 'version'; service: Token; version: Token };

function scopeKindNoun(kind: Scope['kind']): string {
  return kind === 'client' ? 'the client' : kind === 'edge' ? 'an edge' : `a${kind === 'instance' ? 'n' : ''} ${kind}`;
}

/** Why a fault lasts to the end of the run, in words. */
function endlessWhy(kind: string): string {
  return kind === 'process' ? 'a kill without restartAfter' : 'it has no for';
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

