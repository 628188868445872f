import { render, type Instance } from 'ink';
import { describeMeshEvent, type Describer } from '../contract/describe-mesh-event.ts';
import type { RunEvent } from '../events.ts';
import type { Scenario } from '../scenario/scenario.ts';
import { h } from './components/h.ts';
import { LiveApp } from './live-app.ts';
import { initialState, reducer, withNow, type RunViewState } from './state/run-view-state.ts';

export interface LiveViewOptions {
  /** The normalised scenario: the topology, the fault schedule and the checklist are drawn from it before any event. */
  scenario: Scenario;
  /** A terminal. Its `columns` and `rows` are read, and followed on `resize`. */
  stdout: NodeJS.WriteStream;
  /** Keys come from here (raw mode). Without raw mode support the view shows but takes no keys. */
  stdin: NodeJS.ReadStream;
  /**
  Called once when the person presses `q` (or Ctrl-C, which raw mode turns into a key): the caller
  aborts the run, which cleans everything up, keeps feeding events, then calls `close()`.
  */
  onQuit: () => void;
  /**
  Colours. Marks and words carry every state either way.
  @default true unless the NO_COLOR environment variable is set (to anything but an empty string)
  */
  color?: boolean;
  /**
  Most frames per second. Events are folded into the state as they come; the screen is redrawn at
  most this often.
  @default 10
  */
  maxFps?: number;
  /**
  Draw in the terminal's alternate screen (as htop and k9s do), leaving the shell's screen as it
  was when the view closes; the CLI then prints its plain summary.
  @default true
  */
  alternateScreen?: boolean;
  /**
  Write every frame whole, without cursor movement (Ink's debug mode).
  Note: for tests that read frames from a fake stdout.
  @default false
  */
  debug?: boolean;
  /** @default Date.now */
  now?: () => number;
  /**
  Turns a mesh event into the words of the event log and of an instance's reason.
  @default describeMeshEvent
  */
  describe?: Describer;
}

export interface LiveView {
  /** Fold one engine event into the view; the screen follows within a frame. */
  onEvent(event: RunEvent): void;
  /** Draw the final frame, stop listening and give the terminal back. Safe to call twice. */
  close(): Promise<void>;
}

/** How often the clock moves the progress bar between events. */
const CLOCK_MS = 250;

/**
The live terminal view of a run: renders the run's state with Ink, redraws at most `maxFps` times a
second, follows the terminal's size, and only listens: it never drives the engine (quitting is the
`onQuit` callback's business).
*/
export function startLiveView(options: LiveViewOptions): LiveView {
  const { stdout, stdin } = options;
  const now = options.now ?? Date.now;
  const color = options.color ?? !(process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '');
  const frameMs = 1000 / Math.max(1, options.maxFps ?? 10);
  const reduce = reducer(options.describe ?? describeMeshEvent);
  let state: RunViewState = initialState(options.scenario);
  let quitAsked = false;
  let closed = false;
  const onQuit = () => {
    if (quitAsked) return;
    quitAsked = true;
    options.onQuit();
  };
  const element = () => h(LiveApp, { state, columns: stdout.columns || 80, rows: stdout.rows || 24, color, onQuit });

  const ink: Instance = render(element(), {
    stdout,
    stdin,
    // Ctrl-C in raw mode is a key: it goes to onQuit so the run is stopped and cleaned up, not cut short.
    exitOnCtrlC: false,
    maxFps: Math.max(1, options.maxFps ?? 10),
    alternateScreen: options.alternateScreen ?? true,
    debug: options.debug ?? false,
  });

  let timer: ReturnType<typeof setTimeout> | null = null;
  let lastDraw = 0;
  const draw = () => {
    if (timer) clearTimeout(timer);
    timer = null;
    lastDraw = now();
    if (!closed) ink.rerender(element());
  };
  const schedule = () => {
    if (timer || closed) return;
    timer = setTimeout(draw, Math.max(0, lastDraw + frameMs - now()));
  };
  const clock = setInterval(() => {
    state = withNow(state, now());
    schedule();
  }, CLOCK_MS);
  clock.unref?.();
  const onResize = () => draw();
  stdout.on('resize', onResize);

  return {
    onEvent(event: RunEvent) {
      if (closed) return;
      state = reduce(state, event);
      schedule();
    },
    async close() {
      if (closed) return;
      clearInterval(clock);
      stdout.off('resize', onResize);
      draw();
      closed = true;
      ink.unmount();
      await ink.waitUntilExit().catch(() => {});
    },
  };
}
