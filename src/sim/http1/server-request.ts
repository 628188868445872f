import type { Socket } from 'node:net';
import type { DownstreamRequest } from './downstream.ts';
import type { MessageHead } from './message-parser.ts';

type Fn = (...args: never[]) => void;

/**
A request read by a ServerConnection. Its body is delivered to 'data' listeners; bytes that arrive
before any listener (a filter that waits before the router reads the body) are held until one is
added, as a paused stream holds them. Listeners are kept in plain arrays: no EventEmitter, no
stream machinery, no tick per event.
*/
export class ServerRequest implements DownstreamRequest {
  readonly method: string;
  readonly url: string;
  readonly httpVersion: string;
  readonly rawHeaders: string[];
  readonly socket: Socket;
  /** The body has been received whole. */
  complete = false;
  private headerMap: Record<string, string | string[] | undefined> | null = null;
  private held: Buffer[] | null = null;
  private ended = false;
  private failed: Error | null = null;
  private dataFns: ((chunk: Buffer) => void)[] = [];
  private endFns: (() => void)[] = [];
  private errorFns: ((err: Error) => void)[] = [];
  private abortedFns: (() => void)[] = [];
  private readonly onPause: () => void;
  private readonly onResume: () => void;

  constructor(head: MessageHead, socket: Socket, flow: { pause(): void; resume(): void }) {
    this.method = head.method;
    this.url = head.target;
    this.httpVersion = head.minor === 1 ? '1.1' : '1.0';
    this.rawHeaders = head.rawHeaders;
    this.socket = socket;
    this.onPause = flow.pause;
    this.onResume = flow.resume;
  }

  get headers(): Record<string, string | string[] | undefined> {
    if (this.headerMap !== null) return this.headerMap;
    const map: Record<string, string | string[] | undefined> = {};
    const raw = this.rawHeaders;
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i].toLowerCase();
      const v = raw[i + 1];
      const prev = map[name];
      if (name === 'set-cookie') map[name] = prev === undefined ? [v] : [...(prev as string[]), v];
      else if (prev === undefined) map[name] = v;
      // node:http keeps the first of a singleton header and joins the others.
      else if (!SINGLE.has(name)) map[name] = `${prev as string}${name === 'cookie' ? '; ' : ', '}${v}`;
    }
    return (this.headerMap = map);
  }

  /** @internal Body bytes from the connection. */
  push(chunk: Buffer): void {
    if (this.dataFns.length === 0) {
      // Held until read (a socket's chunks are never reused, so the slice stays valid).
      (this.held ??= []).push(chunk);
      return;
    }
    for (const fn of this.dataFns) fn(chunk);
  }

  /** @internal The body ended. */
  finish(): void {
    this.complete = true;
    // Unread (held bytes, or nobody listening yet): 'end' follows once a listener reads it.
    if (this.held !== null || (this.dataFns.length === 0 && this.endFns.length === 0)) return;
    this.emitEnd();
  }

  /** @internal The connection went away before the body ended. */
  abort(err: Error): void {
    if (this.complete || this.failed) return;
    this.failed = err;
    for (const fn of this.abortedFns.slice()) fn();
    for (const fn of this.errorFns.slice()) fn(err);
  }

  private emitEnd(): void {
    if (this.ended) return;
    this.ended = true;
    for (const fn of this.endFns.slice()) fn();
  }

  private flush(): void {
    const held = this.held;
    if (held !== null && this.dataFns.length > 0) {
      this.held = null;
      for (const chunk of held) for (const fn of this.dataFns) fn(chunk);
    }
    if (this.complete && this.held === null) this.emitEnd();
  }

  on(event: string, fn: Fn): this {
    switch (event) {
      case 'data':
        this.dataFns.push(fn as (chunk: Buffer) => void);
        // As a stream starts flowing: what was held is delivered, after the caller has set up.
        if (this.held !== null || this.complete) queueMicrotask(() => this.flush());
        break;
      case 'end':
        if (this.ended) break;
        this.endFns.push(fn as () => void);
        if (this.complete && this.held === null) queueMicrotask(() => this.flush());
        break;
      case 'error':
        this.errorFns.push(fn as (err: Error) => void);
        break;
      case 'aborted':
        this.abortedFns.push(fn as () => void);
        break;
    }
    return this;
  }

  once(event: string, fn: Fn): this {
    // Each of these events happens at most once.
    return this.on(event, fn);
  }

  off(event: string, fn: Fn): this {
    const list = event === 'data' ? this.dataFns : event === 'end' ? this.endFns : event === 'error' ? this.errorFns : event === 'aborted' ? this.abortedFns : null;
    if (list !== null) {
      const i = (list as Fn[]).indexOf(fn);
      if (i !== -1) list.splice(i, 1);
    }
    return this;
  }

  pause(): this {
    this.onPause();
    return this;
  }

  resume(): this {
    this.onResume();
    return this;
  }
}

/** Headers node:http keeps one value of (the first), rather than joining repeats. */
const SINGLE = new Set(['content-type', 'content-length', 'user-agent', 'referer', 'host', 'authorization', 'proxy-authorization', 'if-modified-since', 'if-unmodified-since', 'from', 'location', 'max-forwards', 'retry-after', 'etag', 'last-modified', 'server', 'age', 'expires']);
