import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode, type CompleteParams } from '../../src/protocol';
import { CANCEL, USE_POOL, completeAskingForPool, poolQuestion, type PoolQuestion } from '../../src/workspaceAccountModel';

const bob = { key: 'bob|b', display_name: 'bob@x.com' };
const params: CompleteParams = { stream_id: 'ask-1', model: 'gpt-test', prompt: 'hi' };

const exhausted = {
  code: ErrorCode.POOL_EXHAUSTED,
  message: 'bob@x.com cannot serve this request now; the earliest reset is 14:05 UTC (in 42m)',
  data: { earliest_reset: 1, waited_seconds: 0, accounts: [{ account: bob, state: 'cooldown', until: 1, detail: null }] },
};
const dead = { code: ErrorCode.NEEDS_REAUTH, message: 'bob@x.com needs re-authentication (refresh token revoked)', data: { account: bob, reason: 'refresh token revoked' } };
const unknown = {
  code: ErrorCode.ACCOUNT_NOT_FOUND,
  message: "multicodex.workspaceAccount names 'eve', which is not in the pool",
  data: { key: 'eve', known_keys: [bob.key] },
};

describe('poolQuestion', () => {
  it('names the workspace account and the reason it cannot serve, and offers the pool', () => {
    assert.deepEqual(poolQuestion(exhausted, params, 'bob'), {
      message: "bob@x.com (this workspace's account) cannot serve now: the earliest reset is 14:05 UTC (in 42m). Use another account for this request?",
      choices: [USE_POOL, CANCEL],
    });
    assert.equal(
      poolQuestion(dead, params, 'bob')?.message,
      "bob@x.com (this workspace's account) cannot serve now: needs re-authentication (refresh token revoked). Use another account for this request?",
    );
    assert.equal(
      poolQuestion(unknown, params, 'eve')?.message,
      "eve (this workspace's account) cannot serve now: multicodex.workspaceAccount names 'eve', which is not in the pool. Use another account for this request?",
    );
  });

  it('asks nothing without a workspace account, for a named account, a pool request or another failure', () => {
    assert.equal(poolQuestion(exhausted, params, undefined), undefined);
    assert.equal(poolQuestion(exhausted, params, ''), undefined);
    assert.equal(poolQuestion(exhausted, { ...params, account_key: bob.key }, 'bob'), undefined);
    assert.equal(poolQuestion(exhausted, { ...params, use_pool: true }, 'bob'), undefined);
    assert.equal(poolQuestion({ code: ErrorCode.REQUEST_CANCELLED, message: 'cancelled' }, params, 'bob'), undefined);
    assert.equal(poolQuestion(new Error('boom'), params, 'bob'), undefined);
  });
});

/** A server that fails the workspace account's request and serves a pool request. */
function recorder(failure: unknown) {
  const sent: CompleteParams[] = [];
  const asked: PoolQuestion[] = [];
  const restarted: string[] = [];
  const send = (p: CompleteParams): Promise<string> => {
    sent.push(p);
    return p.use_pool ? Promise.resolve('served by the pool') : Promise.reject(failure);
  };
  return { sent, asked, restarted, send, restart: (id: string) => restarted.push(id) };
}

describe('completeAskingForPool', () => {
  it('on "Use the pool" sends the same request once more with use_pool, on a restarted stream', async () => {
    const r = recorder(exhausted);
    const answer = await completeAskingForPool(params, 'bob', r.send, (q) => {
      r.asked.push(q);
      return Promise.resolve(USE_POOL);
    }, r.restart);
    assert.equal(answer, 'served by the pool');
    assert.deepEqual(r.sent, [params, { ...params, use_pool: true }]);
    assert.equal(r.asked.length, 1);
    assert.deepEqual(r.restarted, ['ask-1']);
  });

  it('on Cancel or a dismissed question sends nothing more and keeps the failure', async () => {
    for (const choice of [CANCEL, undefined]) {
      const r = recorder(exhausted);
      await assert.rejects(completeAskingForPool(params, 'bob', r.send, () => Promise.resolve(choice), r.restart), (e) => e === exhausted);
      assert.deepEqual(r.sent, [params]);
      assert.deepEqual(r.restarted, []);
    }
  });

  it('never asks without a workspace account or for another failure', async () => {
    const r = recorder(exhausted);
    const ask = () => assert.fail('asked');
    await assert.rejects(completeAskingForPool(params, undefined, r.send, ask, r.restart), (e) => e === exhausted);
    const other = recorder(new Error('boom'));
    await assert.rejects(completeAskingForPool(params, 'bob', other.send, ask, other.restart), /boom/);
    assert.equal(r.sent.length + other.sent.length, 2);
  });
});
