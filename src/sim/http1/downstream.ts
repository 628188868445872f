import type { Socket } from 'node:net';

/** An event listener, typed as loosely as node's own emitters take them, so their objects fit these types. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Listener = (...args: any[]) => void;

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
  /** 'data' (a Buffer), 'end', 'error', 'aborted'. */
  on(event: string, fn: Listener): unknown;
  once(event: string, fn: Listener): unknown;
  off(event: string, fn: Listener): unknown;
  pause(): unknown;
  resume(): unknown;
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
  writeHead(status: number, headers: string[]): unknown;
  /** false when the connection's buffer is full: wait for 'drain'. */
  write(chunk: Buffer): boolean;
  end(chunk?: Buffer | string): unknown;
  /** Cuts the exchange (its connection closes). */
  destroy(): unknown;
  /** 'close', 'drain', 'error'. */
  on(event: string, fn: Listener): unknown;
  once(event: string, fn: Listener): unknown;
}
