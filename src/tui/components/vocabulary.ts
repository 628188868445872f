import type { CheckStatus } from '../state/live-check.ts';
import type { InstanceStatus, RunPhase, Tone } from '../state/run-view-state.ts';

/**
How states read on screen: a symbol and a word for each, and a tone (colour when colours are on).
The symbol and the word carry the meaning; the colour only repeats it.
*/
export interface Badge {
  readonly mark: string;
  readonly word: string;
  readonly tone: Tone;
}

export const INSTANCE_BADGE: Readonly<Record<InstanceStatus, Badge>> = {
  starting: { mark: '○', word: 'starting', tone: 'dim' },
  healthy: { mark: '✔', word: 'healthy', tone: 'ok' },
  ejected: { mark: '⊘', word: 'ejected', tone: 'warn' },
  unhealthy: { mark: '!', word: 'unhealthy', tone: 'warn' },
  paused: { mark: '‖', word: 'paused', tone: 'warn' },
  killed: { mark: '✘', word: 'killed', tone: 'bad' },
  down: { mark: '✘', word: 'down', tone: 'bad' },
};

export const CHECK_BADGE: Readonly<Record<CheckStatus, Badge>> = {
  pending: { mark: '…', word: 'pending', tone: 'dim' },
  holding: { mark: '◐', word: 'holding', tone: 'ok' },
  'at-risk': { mark: '▲', word: 'at risk', tone: 'warn' },
  held: { mark: '✔', word: 'held', tone: 'ok' },
  broken: { mark: '✘', word: 'broken', tone: 'bad' },
  'no-data': { mark: '✘', word: 'no data', tone: 'bad' },
  inconclusive: { mark: '?', word: 'inconclusive', tone: 'warn' },
};

export const PHASE_BADGE: Readonly<Record<RunPhase, Badge>> = {
  starting: { mark: '○', word: 'starting', tone: 'dim' },
  ready: { mark: '◌', word: 'topology up', tone: 'info' },
  load: { mark: '●', word: 'load', tone: 'ok' },
  deciding: { mark: '◐', word: 'deciding', tone: 'info' },
  done: { mark: '■', word: 'done', tone: 'info' },
};

export const FAULT_BADGE = {
  scheduled: { mark: '○', word: 'next', tone: 'dim' },
  active: { mark: '●', word: 'active', tone: 'fault' },
  ended: { mark: '◌', word: 'ended', tone: 'dim' },
} as const satisfies Record<string, Badge>;

/**
Health of a figure, as Kiali reads it: any errors (≥ 0.1%) is degraded, more than 10% is failing.
Shown as a mark after the error percentage (`!` degraded, `!!` failing) as well as in colour.
*/
export function errorTone(rate: number | null | undefined): { tone: Tone; mark: string } {
  if (rate === null || rate === undefined || !Number.isFinite(rate) || rate < 0.001) return { tone: 'info', mark: '' };
  if (rate > 0.1) return { tone: 'bad', mark: '!!' };
  return { tone: 'warn', mark: '!' };
}
