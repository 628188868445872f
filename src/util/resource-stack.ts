/**
What a runner holds, released in the reverse order it was taken, whatever happens. The API of the
standard AsyncDisposableStack (ES2026: `use`, `adopt`, `defer`, `move`, `disposeAsync`,
`[Symbol.asyncDispose]`) for the Node versions meshproof supports that have neither it nor
`await using`: Node 22 lacks both, and a clone runs these sources there unchanged, so the syntax is
out too. Where both exist, `const held = new ResourceStack(); try { … } finally { await
held.disposeAsync(); }` is what `await using held = new AsyncDisposableStack()` does.

Every release runs even when one before it fails; the failures are thrown together once all have
run (the only one as it is, several as an AggregateError: SuppressedError is not in Node 22 either).
*/
export class ResourceStack implements AsyncDisposable {
  private releases: (() => unknown)[] = [];
  private done = false;

  /** Whether the stack has been disposed (or moved). */
  get disposed(): boolean {
    return this.done;
  }

  /** Holds a disposable (its `Symbol.asyncDispose`, else `Symbol.dispose`); null and undefined are held as nothing. Returns it. */
  use<T extends AsyncDisposable | Disposable | null | undefined>(value: T): T {
    this.check();
    if (value === null || value === undefined) return value;
    const release = (value as Partial<AsyncDisposable>)[Symbol.asyncDispose] ?? (value as Partial<Disposable>)[Symbol.dispose];
    if (typeof release !== 'function') throw new TypeError('ResourceStack.use: the value is not disposable (no Symbol.asyncDispose or Symbol.dispose method)');
    this.releases.push(() => release.call(value));
    return value;
  }

  /** Holds a value that is not disposable itself, with how to release it. Returns it. */
  adopt<T>(value: T, onDispose: (value: T) => unknown): T {
    this.check();
    this.releases.push(() => onDispose(value));
    return value;
  }

  /** Runs `onDispose` when the stack is disposed. */
  defer(onDispose: () => unknown): void {
    this.check();
    this.releases.push(onDispose);
  }

  /** A new stack holding everything this one held; this one is then disposed, holding nothing. */
  move(): ResourceStack {
    this.check();
    const moved = new ResourceStack();
    moved.releases = this.releases;
    this.releases = [];
    this.done = true;
    return moved;
  }

  /** Releases everything held, last taken first; a second call does nothing. */
  async disposeAsync(): Promise<void> {
    if (this.done) return;
    this.done = true;
    const errors: unknown[] = [];
    for (const release of this.releases.reverse()) {
      try {
        await release();
      } catch (err) {
        errors.push(err);
      }
    }
    this.releases = [];
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new AggregateError(errors, `${errors.length} releases failed`);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.disposeAsync();
  }

  private check(): void {
    if (this.done) throw new ReferenceError('ResourceStack: already disposed');
  }
}
