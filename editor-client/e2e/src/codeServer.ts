// A throw-away code-server (VS Code in the browser) on 127.0.0.1 with our extensions.
import type { ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import * as path from 'node:path';
import { spawnTracked, stopTracked, waitFor } from '../../test/support/processes';

export interface Manifest {
  readonly node24: string;
  readonly codeServer: string;
  readonly chromium: string;
  readonly vsix: string;
  readonly probeVsix: string;
}

/** Keeps the gallery and every update check on a dead loopback port. */
const OFFLINE_GALLERY = JSON.stringify({
  serviceUrl: 'http://127.0.0.1:9/gallery',
  itemUrl: 'http://127.0.0.1:9/item',
  resourceUrlTemplate: 'http://127.0.0.1:9/r',
});

export class CodeServer {
  private constructor(private readonly child: ChildProcess, readonly url: string, readonly userDataDir: string) {}

  static async start(
    manifest: Manifest,
    root: string,
    settings: Record<string, unknown>,
    logFile: string,
  ): Promise<CodeServer> {
    const dirs = {
      userData: path.join(root, 'user-data'),
      extensions: path.join(root, 'extensions'),
      workspace: path.join(root, 'workspace'),
      xdgConfig: path.join(root, 'xdg-config'),
      xdgData: path.join(root, 'xdg-data'),
    };
    for (const dir of Object.values(dirs)) {
      mkdirSync(dir, { recursive: true });
    }
    mkdirSync(path.join(dirs.userData, 'User'), { recursive: true });
    writeFileSync(path.join(dirs.userData, 'User', 'settings.json'), JSON.stringify(settings, null, 2));
    const env = {
      ...process.env,
      XDG_CONFIG_HOME: dirs.xdgConfig,
      XDG_DATA_HOME: dirs.xdgData,
      EXTENSIONS_GALLERY: OFFLINE_GALLERY,
    };
    const common = ['--user-data-dir', dirs.userData, '--extensions-dir', dirs.extensions];
    for (const vsix of [manifest.vsix, manifest.probeVsix]) {
      execFileSync(manifest.node24, [manifest.codeServer, ...common, '--install-extension', vsix], {
        env,
        stdio: 'pipe',
        timeout: 60_000,
      });
    }
    const port = await freePort();
    const { openSync } = await import('node:fs');
    const log = openSync(logFile, 'a');
    const child = spawnTracked(
      manifest.node24,
      [
        manifest.codeServer,
        '--bind-addr', `127.0.0.1:${port}`,
        '--auth', 'none',
        '--disable-telemetry',
        '--disable-update-check',
        '--disable-workspace-trust',
        '--disable-getting-started-override',
        ...common,
        dirs.workspace,
      ],
      { env, stdio: ['ignore', log, log] },
    );
    const url = `http://127.0.0.1:${port}/?folder=${encodeURIComponent(dirs.workspace)}`;
    await waitFor(async () => {
      try {
        const response = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2000) });
        return response.ok ? true : undefined;
      } catch {
        return undefined;
      }
    }, 60_000, 'code-server to listen');
    return new CodeServer(child, url, dirs.userData);
  }

  /** code-server's process id: the extension host and its servers run below it. */
  get pid(): number {
    return this.child.pid as number;
  }

  async stop(): Promise<void> {
    await stopTracked(this.child, 5000);
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (typeof address === 'object' && address) {
          resolve(address.port);
        } else {
          reject(new Error('no port'));
        }
      });
    });
  });
}
