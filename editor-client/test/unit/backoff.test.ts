import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RestartBackoff } from '../../src/backoff';

const options = { initialDelayMs: 1000, maxDelayMs: 8000, stableAfterMs: 60_000, maxAttempts: 5 };

describe('RestartBackoff', () => {
  it('doubles the delay up to the cap, then gives up', () => {
    const backoff = new RestartBackoff(options);
    const delays = Array.from({ length: 6 }, () => backoff.nextDelay(0));
    assert.deepEqual(delays, [1000, 2000, 4000, 8000, 8000, undefined]);
  });

  it('forgives earlier crashes after a stable run', () => {
    const backoff = new RestartBackoff(options);
    backoff.nextDelay(0);
    backoff.nextDelay(0);
    backoff.markStarted(1_000);
    assert.equal(backoff.nextDelay(1_000 + 60_000), 1000);
  });

  it('keeps counting when the server dies soon after starting', () => {
    const backoff = new RestartBackoff(options);
    backoff.nextDelay(0);
    backoff.markStarted(1_000);
    assert.equal(backoff.nextDelay(5_000), 2000);
  });

  it('starts over after a user restart', () => {
    const backoff = new RestartBackoff(options);
    for (let i = 0; i < 5; i += 1) {
      backoff.nextDelay(0);
    }
    backoff.reset();
    assert.equal(backoff.nextDelay(0), 1000);
  });
});
