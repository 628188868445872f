/**
A link's direction, named from the upstream's point of view as Toxiproxy names it: `upstream` is
client → server (requests), `downstream` is server → client (responses).
*/
export type Direction = 'upstream' | 'downstream';

/** Toxiproxy lists upstream toxics first, then downstream ones. */
export const DIRECTIONS: readonly Direction[] = ['upstream', 'downstream'];

/** Parses a toxic's `stream` field as Toxiproxy does (case-insensitive); undefined when invalid. */
export function parseDirection(stream: string): Direction | undefined {
  const s = stream.toLowerCase();
  return s === 'upstream' || s === 'downstream' ? s : undefined;
}
