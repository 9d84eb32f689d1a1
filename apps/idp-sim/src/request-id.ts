import type { IncomingMessage } from 'node:http';

/** Request id of each incoming request (set by the app, read by the provider's event logs). */
const ids = new WeakMap<IncomingMessage, string>();

export function setRequestId(req: IncomingMessage, id: string): void {
  ids.set(req, id);
}

export function requestIdOf(req: IncomingMessage | undefined): string | undefined {
  return req ? ids.get(req) : undefined;
}
