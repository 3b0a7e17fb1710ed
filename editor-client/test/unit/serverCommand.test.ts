import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeLaunch, findOnPath, resolveServerLaunch, serverEnvironment, serverStart } from '../../src/serverCommand';

const none = (): boolean => false;

describe('resolveServerLaunch', () => {
  it('uses an explicit command with "serve" when no args are set', () => {
    const launch = resolveServerLaunch({ command: '/opt/mc/bin/multicodex', args: [], python: '' }, '/usr/bin', none);
    assert.deepEqual(launch, { command: '/opt/mc/bin/multicodex', args: ['serve'], origin: 'setting' });
  });

  it('passes explicit args through unchanged', () => {
    const launch = resolveServerLaunch({ command: 'python3.12', args: ['-m', 'multicodex', 'serve'], python: '' }, '', none);
    assert.deepEqual(launch.args, ['-m', 'multicodex', 'serve']);
  });

  it('prefers the multicodex on PATH, first match wins', () => {
    const found = new Set(['/b/multicodex', '/c/multicodex']);
    const launch = resolveServerLaunch({ command: ' ', args: [], python: '' }, '/a:/b:/c', (f) => found.has(f));
    assert.deepEqual(launch, { command: '/b/multicodex', args: ['serve'], origin: 'path' });
  });

  it('falls back to <python> -m multicodex serve, python3 by default', () => {
    assert.deepEqual(resolveServerLaunch({ command: '', args: [], python: '' }, '/usr/bin', none), {
      command: 'python3',
      args: ['-m', 'multicodex', 'serve'],
      origin: 'python',
    });
    assert.equal(resolveServerLaunch({ command: '', args: [], python: '/venv/bin/python' }, undefined, none).command, '/venv/bin/python');
  });
});

describe('findOnPath', () => {
  it('skips empty PATH entries', () => {
    const seen: string[] = [];
    findOnPath('multicodex', ':/x:', (f) => {
      seen.push(f);
      return false;
    });
    assert.deepEqual(seen, ['/x/multicodex']);
  });
});

describe('serverEnvironment', () => {
  it('adds the user overrides over the editor environment and keeps Python unbuffered', () => {
    const env = serverEnvironment({ PATH: '/bin', MULTICODEX_HOME: '/a' }, { MULTICODEX_HOME: '/b' });
    assert.deepEqual(env, { PATH: '/bin', MULTICODEX_HOME: '/b', PYTHONUNBUFFERED: '1' });
  });
});

describe('describeLaunch', () => {
  it('quotes parts with spaces for the log', () => {
    assert.equal(describeLaunch({ command: '/my tools/python', args: ['-m', 'multicodex', 'serve'], origin: 'python' }), '"/my tools/python" -m multicodex serve');
  });
});

describe('serverStart', () => {
  const settings = { command: '/venv/bin/python', args: ['-m', 'multicodex', 'serve'], python: '', env: { MULTICODEX_HOME: '/tmp/store' } };

  it('runs the configured command with the configured environment', () => {
    const start = serverStart(settings, { PATH: '/usr/bin', HOME: '/home/u' }, none);
    assert.deepEqual(start.launch, { command: '/venv/bin/python', args: ['-m', 'multicodex', 'serve'], origin: 'setting' });
    assert.deepEqual(start.env, { PATH: '/usr/bin', HOME: '/home/u', MULTICODEX_HOME: '/tmp/store', PYTHONUNBUFFERED: '1' });
  });

  it('builds the same start every time from the same settings', () => {
    const editorEnv = { PATH: '/usr/bin' };
    assert.deepEqual(serverStart(settings, editorEnv, none), serverStart(settings, editorEnv, none));
  });

  it('looks the multicodex executable up on the PATH it starts with', () => {
    const start = serverStart({ ...settings, command: '' }, { PATH: '/opt/mc/bin' }, (f) => f === '/opt/mc/bin/multicodex');
    assert.equal(start.launch.command, '/opt/mc/bin/multicodex');
  });
});
