// Restart pacing for a crashing server: exponential delays, forgiven after a stable run.

export interface BackoffOptions {
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  /** A run at least this long resets the sequence. */
  readonly stableAfterMs: number;
  /** Consecutive crashes after which we stop restarting on our own. */
  readonly maxAttempts: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = {
  initialDelayMs: 1000,
  maxDelayMs: 30_000,
  stableAfterMs: 60_000,
  maxAttempts: 6,
};

export class RestartBackoff {
  private attempts = 0;
  private startedAt: number | undefined;

  constructor(private readonly options: BackoffOptions = DEFAULT_BACKOFF) {}

  /** Call when the server is up and answering. */
  markStarted(now: number): void {
    this.startedAt = now;
  }

  /** Delay before the next restart, or undefined when we should give up. */
  nextDelay(now: number): number | undefined {
    if (this.startedAt !== undefined && now - this.startedAt >= this.options.stableAfterMs) {
      this.attempts = 0;
    }
    this.startedAt = undefined;
    if (this.attempts >= this.options.maxAttempts) {
      return undefined;
    }
    const delay = Math.min(
      this.options.initialDelayMs * 2 ** this.attempts,
      this.options.maxDelayMs,
    );
    this.attempts += 1;
    return delay;
  }

  /** A restart asked for by the user starts a fresh sequence. */
  reset(): void {
    this.attempts = 0;
    this.startedAt = undefined;
  }
}
