import type { Exchange } from './exchange.ts';

/** Handles an exchange: answers it, or passes it on. */
export type Handler = (ex: Exchange) => void;

/**
A request-path filter, undici-interceptor style: given the next handler, returns a handler that
may answer locally (rate limit, fault abort, no route…), delay, decorate the exchange, or call next.
*/
export type Filter = (next: Handler) => Handler;

/**
Chains filters in front of a terminal handler; the first filter listed runs first. Each one is
checked as it is added, so a wrong entry fails at start-up with its position, not on a request.
*/
export function compose(terminal: Handler, filters: readonly Filter[]): Handler {
  if (typeof terminal !== 'function') throw new TypeError(`invalid terminal handler: expected a function (exchange) => void, got ${typeof terminal}`);
  let handler = terminal;
  for (let i = filters.length - 1; i >= 0; i--) {
    const f = filters[i];
    if (typeof f !== 'function') throw new TypeError(`invalid filter at position ${i}: expected a function (next) => handler, got ${typeof f}`);
    const h = f(handler);
    if (typeof h !== 'function') throw new TypeError(`invalid filter at position ${i}: it returned ${typeof h}, expected a handler function`);
    handler = h;
  }
  return handler;
}
