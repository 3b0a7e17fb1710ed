import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeServerExit, LineTail } from '../../src/serverExit';
import { ServerProcess } from '../../src/serverProcess';

describe('describeServerExit', () => {
  it('gives the exit code and what the server last said', () => {
    const reason = describeServerExit({
      code: 1,
      signal: null,
      stderrTail: ['starting', 'multicodex: cannot read /home/u/.config/multicodex/accounts.json: Permission denied', ''],
    });
    assert.equal(reason, 'exited with code 1: starting / multicodex: cannot read /home/u/.config/multicodex/accounts.json: Permission denied');
  });

  it('names the signal that killed it', () => {
    assert.equal(describeServerExit({ code: null, signal: 'SIGKILL', stderrTail: [] }), 'was killed by SIGKILL');
  });

  it('keeps the last line of a traceback, not its frames', () => {
    const reason = describeServerExit({
      code: 1,
      signal: null,
      stderrTail: [
        'Traceback (most recent call last):',
        '  File "/venv/lib/multicodex/server.py", line 10, in main',
        '    raise RuntimeError("boom")',
        'RuntimeError: boom',
      ],
    });
    assert.equal(reason, 'exited with code 1: RuntimeError: boom');
  });

  it('says why a start failed before any process ran', () => {
    const reason = describeServerExit({ code: null, signal: null, spawnError: 'spawn /nowhere/multicodex ENOENT', stderrTail: [] });
    assert.equal(reason, 'could not be started: spawn /nowhere/multicodex ENOENT');
  });

  it('never says the connection was disposed and stays one readable line', () => {
    const reason = describeServerExit({ code: 3, signal: null, stderrTail: ['x'.repeat(5000)] });
    assert.ok(reason.length <= 600);
    assert.doesNotMatch(reason, /disposed/);
  });
});

describe('LineTail', () => {
  it('joins lines split across chunks and keeps the last ones', () => {
    const tail = new LineTail(2);
    tail.push('one\ntw');
    tail.push('o\r\nthree\nfou');
    assert.deepEqual(tail.snapshot(), ['three', 'fou']);
  });
});

describe('ServerProcess', () => {
  it('reports the exit code and the stderr of a real process that fails', async () => {
    const script = "process.stderr.write('multicodex: cannot read the store\\n'); process.exit(4)";
    const server = ServerProcess.start({ command: process.execPath, args: ['-e', script], env: process.env });
    await server.spawned;
    const exit = await server.exited;
    assert.equal(describeServerExit(exit), 'exited with code 4: multicodex: cannot read the store');
  });

  it('reports a command that does not exist', async () => {
    const server = ServerProcess.start({ command: '/nonexistent/multicodex', args: ['serve'], env: process.env });
    await assert.rejects(server.spawned, /ENOENT/);
    assert.match(describeServerExit(await server.exited), /^could not be started: .*ENOENT/);
  });

  it('stops a process that does not exit by itself', async () => {
    const server = ServerProcess.start({ command: process.execPath, args: ['-e', 'setInterval(() => {}, 1000)'], env: process.env });
    await server.spawned;
    await server.stop(100);
    const exit = await server.exited;
    assert.equal(exit.signal, 'SIGTERM');
  });
});
