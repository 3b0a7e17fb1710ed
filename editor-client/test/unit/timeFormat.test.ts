import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ago, clockTime, countdown, resetIn } from '../../src/timeFormat';

describe('countdown', () => {
  it('uses the footer style', () => {
    assert.equal(countdown(45), '45s');
    assert.equal(countdown(12 * 60 + 5), '12m');
    assert.equal(countdown(2 * 3600 + 13 * 60), '2h13m');
    assert.equal(countdown(6 * 86400 + 19 * 3600 + 59), '6d19h');
    assert.equal(countdown(-5), '0s');
  });
});

describe('resetIn', () => {
  it('reads unknown, now or in <countdown>', () => {
    assert.equal(resetIn(null, 100), 'unknown');
    assert.equal(resetIn(50, 100), 'now');
    assert.equal(resetIn(100 + 3600, 100), 'in 1h0m');
  });
});

describe('ago', () => {
  it('rounds to a readable unit', () => {
    assert.equal(ago(10), 'just now');
    assert.equal(ago(180), '3 min ago');
    assert.equal(ago(2 * 3600), '2 h ago');
    assert.equal(ago(4 * 86400), '4 d ago');
  });
});

describe('clockTime', () => {
  const now = Date.UTC(2026, 10, 21, 10, 0, 0) / 1000; // Saturday
  it('shows only the time today', () => {
    assert.equal(clockTime(now + 4 * 3600 + 5 * 60, now, 'UTC'), '14:05');
  });
  it('adds the weekday within the week and the date beyond', () => {
    assert.equal(clockTime(now + 3 * 86400 - 3600, now, 'UTC'), 'Tue 09:00');
    assert.equal(clockTime(now + 10 * 86400, now, 'UTC'), 'Dec 1 10:00');
  });
});
