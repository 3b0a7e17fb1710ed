// Why the server process stopped, in one line for the footer's tooltip, the log and the
// "keeps stopping" message: its exit code or signal and the last lines it wrote to
// stderr, rather than the JSON-RPC library's "connection got disposed". No vscode import.

/** How a server process ended (or never started). */
export interface ServerExit {
  readonly code: number | null;
  readonly signal: string | null;
  /** Set when the process could not be started at all (e.g. ENOENT). */
  readonly spawnError?: string;
  /** The last lines it wrote to stderr, oldest first. */
  readonly stderrTail: readonly string[];
}

const TAIL_LINES = 2;
const MAX_LINE_CHARS = 300;
const MAX_REASON_CHARS = 600;

/** "exited with code 1: multicodex: cannot read …", "was killed by SIGKILL", … */
export function describeServerExit(exit: ServerExit): string {
  const how = exit.spawnError !== undefined
    ? `could not be started: ${exit.spawnError}`
    : howItEnded(exit.code, exit.signal);
  const said = significantLines(exit.stderrTail).join(' / ');
  return clip(said ? `${how}: ${said}` : how, MAX_REASON_CHARS);
}

function howItEnded(code: number | null, signal: string | null): string {
  if (signal) {
    return `was killed by ${signal}`;
  }
  if (code === null) {
    return 'stopped answering';
  }
  return `exited with code ${code}`;
}

/** The last lines that carry a message: a traceback's frames (indented) and header are
 * skipped, its last line names the error. */
function significantLines(lines: readonly string[]): string[] {
  return lines
    .filter((line) => line.trim().length > 0 && !/^\s/.test(line) && !line.startsWith('Traceback ('))
    .slice(-TAIL_LINES)
    .map((line) => clip(line.trim(), MAX_LINE_CHARS));
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Keeps the last lines a stream wrote, however it was chunked. */
export class LineTail {
  private readonly lines: string[] = [];
  private partial = '';

  constructor(private readonly keep = 20) {}

  push(chunk: string): void {
    const parts = (this.partial + chunk).split(/\r?\n/);
    this.partial = parts.pop() ?? '';
    for (const line of parts) {
      this.remember(line);
    }
  }

  /** Every kept line, including an unfinished last one. */
  snapshot(): string[] {
    return this.partial ? [...this.lines, this.partial].slice(-this.keep) : [...this.lines];
  }

  private remember(line: string): void {
    this.lines.push(line);
    if (this.lines.length > this.keep) {
      this.lines.shift();
    }
  }
}
