// Decides how to start `multicodex serve` from the user's settings. No vscode import:
// the PATH lookup is injected so unit tests can describe any machine.
import * as path from 'node:path';

export interface ServerCommandSettings {
  /** Explicit executable; empty means "find multicodex". */
  readonly command: string;
  /** Arguments for an explicit command; empty means ["serve"]. */
  readonly args: readonly string[];
  /** Interpreter used when no `multicodex` executable is found. */
  readonly python: string;
}

export interface ServerLaunch {
  readonly command: string;
  readonly args: string[];
  /** Human-readable origin of the choice, for the log. */
  readonly origin: 'setting' | 'path' | 'python';
}

export type IsExecutable = (file: string) => boolean;

const SERVE_ARGS = ['serve'];
const DEFAULT_PYTHON = 'python3';

export function resolveServerLaunch(
  settings: ServerCommandSettings,
  pathVariable: string | undefined,
  isExecutable: IsExecutable,
): ServerLaunch {
  const command = settings.command.trim();
  if (command) {
    const args = settings.args.length > 0 ? [...settings.args] : [...SERVE_ARGS];
    return { command, args, origin: 'setting' };
  }
  const onPath = findOnPath('multicodex', pathVariable, isExecutable);
  if (onPath) {
    return { command: onPath, args: [...SERVE_ARGS], origin: 'path' };
  }
  const python = settings.python.trim() || DEFAULT_PYTHON;
  return { command: python, args: ['-m', 'multicodex', ...SERVE_ARGS], origin: 'python' };
}

export function findOnPath(
  name: string,
  pathVariable: string | undefined,
  isExecutable: IsExecutable,
): string | undefined {
  for (const dir of (pathVariable ?? '').split(path.delimiter)) {
    if (!dir) {
      continue;
    }
    const candidate = path.join(dir, name);
    if (isExecutable(candidate)) {
      return candidate;
    }
  }
  return undefined;
}

/** The settings a start reads: how to launch, and extra environment variables. */
export interface ServerStartSettings extends ServerCommandSettings {
  readonly env: Readonly<Record<string, string>>;
}

/** What one start of the server runs: the command line and the whole environment. */
export interface ServerStart {
  readonly launch: ServerLaunch;
  readonly env: NodeJS.ProcessEnv;
}

/** The command line and environment for a start, from the settings in force now. */
export function serverStart(
  settings: ServerStartSettings,
  editorEnv: NodeJS.ProcessEnv,
  isExecutable: IsExecutable,
): ServerStart {
  return {
    launch: resolveServerLaunch(settings, editorEnv.PATH, isExecutable),
    env: serverEnvironment(editorEnv, settings.env),
  };
}

/** The environment for the server: the editor's, plus the user's overrides. */
export function serverEnvironment(
  base: NodeJS.ProcessEnv,
  overrides: Readonly<Record<string, string>>,
): NodeJS.ProcessEnv {
  return { ...base, ...overrides, PYTHONUNBUFFERED: '1' };
}

export function describeLaunch(launch: ServerLaunch): string {
  return [launch.command, ...launch.args].map(quoteForLog).join(' ');
}

function quoteForLog(part: string): string {
  return /^[\w@%+=:,./-]+$/.test(part) ? part : JSON.stringify(part);
}
