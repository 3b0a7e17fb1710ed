// The `multicodex serve` processes code-server's extension host started, read from /proc:
// which command line and which environment each one really got.
import { readdirSync, readFileSync } from 'node:fs';

export interface ServerProcess {
  readonly pid: number;
  readonly argv: string[];
  readonly env: Record<string, string>;
}

/** Every live `… multicodex … serve` process below `ancestor` (Linux /proc). */
export function serverProcessesBelow(ancestor: number): ServerProcess[] {
  const parents = parentTable();
  return [...parents.keys()]
    .filter((pid) => descendsFrom(pid, ancestor, parents))
    .map(readProcess)
    .filter((p): p is ServerProcess => p !== undefined && isServe(p.argv));
}

function isServe(argv: readonly string[]): boolean {
  return argv.includes('serve') && argv.some((part) => /(^|\/)multicodex$/.test(part));
}

function parentTable(): Map<number, number> {
  const parents = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) {
      continue;
    }
    const stat = readOrEmpty(`/proc/${name}/stat`);
    // The command name (field 2) is in parentheses and may hold spaces; ppid follows it.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ppid = Number(fields[1]);
    if (Number.isInteger(ppid)) {
      parents.set(Number(name), ppid);
    }
  }
  return parents;
}

function descendsFrom(pid: number, ancestor: number, parents: ReadonlyMap<number, number>): boolean {
  let current = parents.get(pid);
  for (let depth = 0; current !== undefined && current > 1 && depth < 64; depth += 1) {
    if (current === ancestor) {
      return true;
    }
    current = parents.get(current);
  }
  return false;
}

function readProcess(pid: number): ServerProcess | undefined {
  const argv = splitNul(readOrEmpty(`/proc/${pid}/cmdline`));
  if (argv.length === 0) {
    return undefined;
  }
  const env: Record<string, string> = {};
  for (const entry of splitNul(readOrEmpty(`/proc/${pid}/environ`))) {
    const equals = entry.indexOf('=');
    if (equals > 0) {
      env[entry.slice(0, equals)] = entry.slice(equals + 1);
    }
  }
  return { pid, argv, env };
}

function splitNul(text: string): string[] {
  return text.split('\0').filter((part) => part.length > 0);
}

function readOrEmpty(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    // The process ended while the table was read.
    return '';
  }
}
