import { ruleKey, type RateLimitUnit, type RequestDescriptor, type RlsConfig, type RlsDescriptor } from '../../contract/rate-limit-service.ts';

/** A limit the service enforces, as one node of its configuration. */
export interface Rule {
  /** Where its stats go (`ruleKey`): per rule, whatever the value of a key-only entry. */
  key: string;
  /** null: unlimited (counted, never refused). */
  limit: { requests: number; unit: RateLimitUnit } | null;
  shadow: boolean;
}

interface Node {
  rule: Rule | null;
  /** Children with a value, by `key\0value`; children without one, by key. */
  exact: Map<string, Node>;
  any: Map<string, Node>;
}

/**
envoyproxy/ratelimit's matching (its README, "Example 3" and "Example 4"): a request descriptor of N
entries is matched level by level, each entry against the children of the node reached so far, a
child with the same key and value first, else one with the same key and no value; the rule is the
limit of the node reached by the last entry. A descriptor deeper or shallower than the config, or
with an entry no child matches, has no limit.
*/
export class RuleTree {
  readonly domain: string;
  private readonly root: Node = { rule: null, exact: new Map(), any: new Map() };
  /** Every rule with a limit, by key (for stats listed before any hit). */
  readonly rules = new Map<string, Rule>();

  constructor(config: RlsConfig) {
    this.domain = config.domain;
    this.add(this.root, config.descriptors, []);
  }

  private add(parent: Node, list: readonly RlsDescriptor[] | undefined, path: RlsDescriptor[]): void {
    for (const d of list ?? []) {
      const at = [...path, d];
      const node: Node = { rule: null, exact: new Map(), any: new Map() };
      const rl = d.rate_limit;
      if (rl) {
        const rule: Rule = {
          key: ruleKey(this.domain, at),
          limit: 'unlimited' in rl ? null : { requests: rl.requests_per_unit, unit: rl.unit },
          shadow: d.shadow_mode === true,
        };
        node.rule = rule;
        this.rules.set(rule.key, rule);
      }
      if (d.value === undefined) parent.any.set(d.key, node);
      else parent.exact.set(`${d.key}\0${d.value}`, node);
      this.add(node, d.descriptors, at);
    }
  }

  /** The rule a request descriptor falls under, or null when it is not limited. */
  match(descriptor: RequestDescriptor): Rule | null {
    let node: Node | undefined = this.root;
    for (const e of descriptor.entries) {
      node = node.exact.get(`${e.key}\0${e.value}`) ?? node.any.get(e.key);
      if (!node) return null;
    }
    return node === this.root ? null : node.rule;
  }
}
