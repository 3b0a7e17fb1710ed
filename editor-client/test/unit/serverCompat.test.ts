import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { incompatibility } from '../../src/serverCompat';

const caps = (protocol_version: unknown) => ({ experimental: { multicodex: { protocol_version, methods: [], notifications: [] } } });

describe('incompatibility', () => {
  it('accepts the protocol version this extension speaks', () => {
    assert.equal(incompatibility(caps(1)), undefined);
  });
  it('refuses other versions and servers that are not MultiCodex', () => {
    assert.match(incompatibility(caps(2)) ?? '', /protocol 2/);
    assert.match(incompatibility({}) ?? '', /did not announce/);
    assert.match(incompatibility(undefined) ?? '', /did not announce/);
  });
});
