// Routes `multicodex/completion/delta` notifications to the completion that asked for
// them, by stream id, in sequence order.
import type { CompletionDelta } from './protocol';

export type DeltaHandler = (delta: CompletionDelta) => void;

export class StreamRouter {
  private readonly handlers = new Map<string, { handler: DeltaHandler; nextSeq: number; held: Map<number, CompletionDelta> }>();
  private counter = 0;

  /** A stream id unique among this client's running completions. */
  newStreamId(prefix: string): string {
    this.counter += 1;
    return `${prefix}-${Date.now().toString(36)}-${this.counter}`;
  }

  /** Starts routing deltas for `streamId`; call the returned function when done. */
  open(streamId: string, handler: DeltaHandler): () => void {
    this.handlers.set(streamId, { handler, nextSeq: 0, held: new Map() });
    return () => {
      this.handlers.delete(streamId);
    };
  }

  /** The stream's request is sent again under the same id: its deltas count from 0 again. */
  restart(streamId: string): void {
    const stream = this.handlers.get(streamId);
    if (stream) {
      stream.nextSeq = 0;
      stream.held.clear();
    }
  }

  dispatch(delta: CompletionDelta): boolean {
    const stream = this.handlers.get(delta.stream_id);
    if (!stream) {
      return false;
    }
    stream.held.set(delta.seq, delta);
    for (let next = stream.held.get(stream.nextSeq); next; next = stream.held.get(stream.nextSeq)) {
      stream.held.delete(stream.nextSeq);
      stream.nextSeq += 1;
      stream.handler(next);
    }
    return true;
  }

  get openStreams(): number {
    return this.handlers.size;
  }
}
