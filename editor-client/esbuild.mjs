// Bundles the extension (dist/extension.js) with the usage chart's webview (dist/usageChart.js
// and .css, a browser bundle of its own) and, with --tests, every test file into out/.
import * as esbuild from 'esbuild';
import { copyFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const production = process.argv.includes('--production');
const tests = process.argv.includes('--tests');
const probe = process.argv.includes('--probe');
const e2e = process.argv.includes('--e2e');

const common = {
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  logLevel: 'warning',
};

function testEntries(dir) {
  return readdirSync(dir)
    .filter((name) => name.endsWith('.test.ts'))
    .map((name) => join(dir, name));
}

if (e2e) {
  await esbuild.build({
    ...common,
    entryPoints: ['e2e/src/runEditorTest.ts'],
    outfile: 'out/e2e/runEditorTest.js',
    external: ['playwright-core'],
    sourcemap: 'inline',
  });
} else if (probe) {
  await esbuild.build({
    ...common,
    entryPoints: ['e2e/probe/src/extension.ts'],
    outfile: 'e2e/probe/dist/extension.js',
    external: ['vscode'],
  });
} else if (tests) {
  await esbuild.build({
    ...common,
    entryPoints: [...testEntries('test/unit'), ...testEntries('test/contract')],
    outdir: 'out/test',
    outbase: 'test',
    sourcemap: 'inline',
  });
} else {
  await esbuild.build({
    ...common,
    entryPoints: ['src/extension.ts'],
    outfile: 'dist/extension.js',
    external: ['vscode'],
    sourcemap: !production,
    minify: production,
  });
  await esbuild.build({
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    logLevel: 'warning',
    entryPoints: ['src/webview/usageChartView.ts'],
    outfile: 'dist/usageChart.js',
    minify: production,
    banner: { js: '/*! uPlot (MIT licence, Leon Sorokin): see usageChart.LICENSE.txt */' },
  });
  // uPlot's licence travels with the bundle that contains it.
  copyFileSync('node_modules/uplot/LICENSE', 'dist/usageChart.LICENSE.txt');
}
