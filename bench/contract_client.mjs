// Time to first text delta as the VS Code extension's client sees it: vscode-jsonrpc (the
// library under vscode-languageclient and the contract tests' ServerSession) speaking to a
// real `multicodex serve` over stdio. Run by bench/cases/contract_ttfd.py:
//   node bench/contract_client.mjs '{"python": ..., "env": {...}, "options": {...},
//                                    "runs": N, "warmup": W, "model": ..., "prompt": ...}'
// Prints one JSON line: {"ms": [...]} (send -> first text delta notification handled).
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '..', 'editor-client', 'package.json'));
const rpc = require('vscode-jsonrpc/node');

const config = JSON.parse(process.argv[2]);
const child = spawn(config.python, ['-m', 'multicodex', 'serve'], {
  stdio: ['pipe', 'pipe', 'inherit'],
  env: config.env,
});
const connection = rpc.createMessageConnection(
  new rpc.StreamMessageReader(child.stdout),
  new rpc.StreamMessageWriter(child.stdin),
);
const waiting = new Map();
connection.onNotification('multicodex/completion/delta', (delta) => {
  if (delta.kind !== 'text') return;
  const done = waiting.get(delta.stream_id);
  if (done !== undefined) {
    waiting.delete(delta.stream_id);
    done(performance.now());
  }
});
connection.onNotification(() => undefined);
connection.onRequest(() => null);
connection.listen();

await connection.sendRequest('initialize', {
  processId: process.pid,
  clientInfo: { name: 'multicodex-bench' },
  rootUri: null,
  capabilities: {},
  initializationOptions: config.options,
});
await connection.sendNotification('initialized', {});

const samples = [];
for (let index = 0; index < config.warmup + config.runs; index += 1) {
  const streamId = `contract-${index}`;
  const firstDelta = new Promise((resolve) => waiting.set(streamId, resolve));
  const sent = performance.now();
  const answered = connection.sendRequest('multicodex/complete', {
    stream_id: streamId,
    model: config.model,
    prompt: config.prompt,
  });
  const arrived = await firstDelta;
  await answered;
  if (index >= config.warmup) samples.push(arrived - sent);
}
process.stdout.write(`${JSON.stringify({ ms: samples })}\n`);
connection.dispose();
child.kill('SIGTERM');
