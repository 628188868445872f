import type { Socket } from 'node:net';

/**
The request a listener hands to its handler, as the sidecar reads it: the subset of node:http's
IncomingMessage it uses, so both node:http's objects and meshproof's own (server-connection.ts)
satisfy it. Body events: 'data' (Buffer), 'end', 'error', 'aborted'.
*/
export interface DownstreamRequest {
  readonly method?: string;
  /** The request target as sent. */
  readonly url?: string;
  /** '1.1' or '1.0'. */
  readonly httpVersion: string;
  /** Flat `[name, value, …]`, names as the caller spelled them. */
  readonly rawHeaders: string[];
  /** Lower-case names; repeated values joined with ', ' (set-cookie: an array), as node:http does. */
  readonly headers: Record<string, string | string[] | undefined>;
  readonly socket: Socket | null;
  on(event: 'data', fn: (chunk: Buffer) => void): this;
  on(event: 'end' | 'aborted', fn: () => void): this;
  on(event: 'error', fn: (err: Error) => void): this;
  once(event: 'end' | 'aborted', fn: () => void): this;
  once(event: 'error', fn: (err: Error) => void): this;
  off(event: string, fn: (...args: never[]) => void): this;
  pause(): this;
  resume(): this;
}

/**
The response a handler writes, the subset of node:http's ServerResponse the sidecar uses. Events:
'close' (the exchange is over: ended, or the caller went away), 'drain', 'error'.
*/
export interface DownstreamResponse {
  readonly headersSent: boolean;
  readonly statusCode: number;
  readonly destroyed: boolean;
  /** The whole response was handed to the connection. */
  readonly writableFinished: boolean;
  /** false: the connection closes after this response (`Connection: close`). */
  shouldKeepAlive: boolean;
  /** Headers flat (`[name, value, …]`). */
  writeHead(status: number, headers: string[]): this;
  /** false when the connection's buffer is full: wait for 'drain'. */
  write(chunk: Buffer): boolean;
  end(chunk?: Buffer | string): this;
  /** Cuts the exchange (its connection closes). */
  destroy(): this;
  on(event: 'close' | 'drain', fn: () => void): this;
  on(event: 'error', fn: (err: Error) => void): this;
  once(event: 'close' | 'drain', fn: () => void): this;
}
