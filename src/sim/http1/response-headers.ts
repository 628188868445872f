/** Response headers by name: lower-case names, a repeated one as an array (undici's shape). */
export type ResponseHeaderMap = Record<string, string | string[] | undefined>;

/**
A response's headers as they arrived: flat `[name, value, …]`, names as the upstream spelled them.
A relay copies `raw` and looks up a name or two, so the map (undici's shape) is built only when
something asks for it, not once per response.
*/
export class ResponseHeaders {
  readonly raw: readonly string[];
  private mapped: ResponseHeaderMap | null = null;

  constructor(raw: readonly string[]) {
    this.raw = raw;
  }

  /** The first value of `name` (given lower-case), whatever case the upstream sent it in; undefined when absent. */
  get(name: string): string | undefined {
    const raw = this.raw;
    const n = name.length;
    for (let i = 0; i < raw.length; i += 2) {
      const k = raw[i];
      if (k.length === n && (k === name || k.toLowerCase() === name)) return raw[i + 1];
    }
    return undefined;
  }

  /** Every header by lower-case name, a repeated one as an array of its values in order. */
  get map(): ResponseHeaderMap {
    if (this.mapped !== null) return this.mapped;
    const map: ResponseHeaderMap = {};
    const raw = this.raw;
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i].toLowerCase();
      const v = raw[i + 1];
      const prev = map[name];
      if (prev === undefined) map[name] = v;
      else if (typeof prev === 'string') map[name] = [prev, v];
      else prev.push(v);
    }
    return (this.mapped = map);
  }
}
