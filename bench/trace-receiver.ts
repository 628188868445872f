import { TraceReceiver } from '../src/trace/receiver.ts';
import { TraceStore } from '../src/trace/trace-store.ts';

/**
The bench's OTLP receiver for the traced sidecar pair: the harness's own receiver (decoding every
export as a run does) in its own process, so its CPU is neither the sidecars' nor the load
generator's. It keeps no spans (the bench only measures the sidecars' cost of sending them).
Reports its port over IPC ({type:'ready', role:'app', port}); exits when the bench goes away.
*/
const receiver = new TraceReceiver({ store: new TraceStore({ maxSpans: 0 }) });
await receiver.start();
process.send?.({ type: 'ready', role: 'app', port: Number(new URL(receiver.baseUrl).port) });
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
