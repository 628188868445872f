import { bearerHeader } from '../auth/run-credential.ts';
import { deriveSeed, seededRandom } from '../util/random.ts';
import type { SpanSink } from '../contract/span-sink.ts';
import { OtlpSpanSink } from './otlp-span-sink.ts';

/**
The sidecar's tracing as its process entries (local and Docker) configure it from the environment:
- `MESHPROOF_OTLP_ENDPOINT`: OTLP/HTTP traces URL to export spans to; unset = no tracing;
- `MESHPROOF_TRACE_SAMPLE`: share of the traces started here that are recorded, 0–1 (default 1);
- `MESHPROOF_TRACE_MAX_PER_SECOND`: most traces started here recorded per second (default 0 = no limit).
Exports carry the run's `credential` (`Authorization: Bearer`): the harness's receiver, and the
Docker runtime's span relay, refuse spans without it, since traces decide `attempts(...)` verdicts.
Telemetry never stops a pod from serving: when the sink cannot be set up, this says why on stderr
(prefixed with `who`) and the sidecar runs untraced.
*/
export async function spanSinkFromEnv(options: { service: string; instance: string; seed: number | undefined; credential: string; who: string }): Promise<SpanSink | null> {
  const otlp = process.env.MESHPROOF_OTLP_ENDPOINT;
  if (!otlp) return null;
  const { service, instance } = options;
  const ratio = Number(process.env.MESHPROOF_TRACE_SAMPLE ?? '1');
  try {
    return new OtlpSpanSink({
      endpoint: otlp,
      headers: bearerHeader(options.credential),
      service,
      instance,
      // Its own stream: tracing on or off, the load balancer sees the same random numbers.
      random: seededRandom(deriveSeed(options.seed ?? 0, `${instance}:spans`)),
      // The sidecar's clock is performance.now().
      toEpochMs: (ms) => performance.timeOrigin + ms,
      sampleRatio: Number.isFinite(ratio) ? Math.min(1, Math.max(0, ratio)) : 1,
      maxTracesPerSecond: Math.max(0, Number(process.env.MESHPROOF_TRACE_MAX_PER_SECOND ?? '0') || 0),
    });
  } catch (err) {
    process.stderr.write(`${options.who}: tracing off, its span sink could not be set up: ${(err as Error).message}\n`);
    return null;
  }
}
