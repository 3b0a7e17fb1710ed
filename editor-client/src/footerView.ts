// What the status-bar item shows, decided from the server's status and the process state.
// Pure: the vscode-facing renderer only copies these fields onto a StatusBarItem.
import { CommandIds } from './commandIds';
import { escapeCodicons, escapeMarkdown } from './markdown';
import type { FooterSettings, Severity, Status } from './protocol';
import type { ServerState } from './serverState';
import { describeState } from './serverState';
import { statusTooltip, type TimeContext } from './tooltip';
import { clockTime } from './timeFormat';
import { bindingPoolWindow, bindingReset, poolPhrase } from './usageGlance';

export type FooterBackground = 'warning' | 'error' | undefined;

export interface FooterCommand {
  readonly command: string;
  readonly arguments?: unknown[];
}

export interface FooterView {
  readonly text: string;
  /** Markdown (with theme icons and trusted command links). */
  readonly tooltip: string;
  readonly background: FooterBackground;
  readonly command: FooterCommand;
  readonly accessibilityLabel: string;
}

/** What the footer adds to the server's line: the footer settings in force (from
 * footer/get; undefined until known: the defaults) and whether to show the pool. */
export interface FooterGlance {
  readonly settings?: FooterSettings;
  readonly showPool: boolean;
}

const DEFAULT_GLANCE: FooterGlance = { showPool: true };

export function footerView(
  status: Status | undefined,
  server: ServerState,
  time: TimeContext,
  glance: FooterGlance = DEFAULT_GLANCE,
): FooterView {
  if (server.kind !== 'running' || !status) {
    return serverStateView(server);
  }
  // The server's words, as `multicodex status` prints them, then the glance; the state
  // picks icon and action.
  const footer = status.footer;
  const line = glanceLine(status, time, glance);
  const view = {
    tooltip: statusTooltip(status, time, glance.settings?.usage_mode ?? 'left'),
    background: backgroundFor(footer.severity),
    accessibilityLabel: `MultiCodex: ${line}`,
  };
  const text = (icon: string): string => `${icon} ${escapeCodicons(line)}`;
  switch (footer.state) {
    case 'no_accounts':
      return { ...view, text: text('$(add)'), command: { command: CommandIds.addAccount } };
    case 'needs_reauth': {
      const first = status.needs_reauth[0];
      const command = first
        ? { command: CommandIds.reauth, arguments: [first.key] }
        : { command: CommandIds.accounts };
      return { ...view, text: text('$(key)'), command };
    }
    case 'exhausted':
      return { ...view, text: text('$(circle-slash)'), command: { command: CommandIds.accounts } };
    default:
      return { ...view, text: text(severityIcon(footer.severity)), command: { command: CommandIds.accounts } };
  }
}

/** The server's footer with the glance, in a serving footer (never the compact one, about
 * 30 characters): when the countdown follows the binding window, its reset time beside it
 * ("5h 15% left ↺4h59m (18:01)"; a model's own window, absent from the footer, after it as
 * "Spark 5h resets 18:01"); then the pool's binding window when the pool has several
 * accounts ("pool 5h 0.4/3 left"). */
export function glanceLine(status: Status, time: TimeContext, glance: FooterGlance): string {
  const settings = glance.settings;
  const footer = status.footer;
  if (footer.state !== 'serving' || settings?.compact) {
    return footer.text;
  }
  let text = footer.text;
  const parts: string[] = [];
  const binding = status.glance.binding;
  if (binding && (settings?.reset_window ?? 'binding') === 'binding' && (settings?.show_reset ?? true)) {
    const counted = footer.segments.find((s) => s.role === 'usage' && s.text.startsWith(`${binding.window} `) && s.text.includes('↺'));
    if (counted && binding.resets_at !== null) {
      const at = clockTime(binding.resets_at, time.now, time.timeZone);
      text = footer.segments.map((s) => (s === counted ? `${s.text} (${at})` : s.text)).join('');
    } else if (!counted) {
      const reset = bindingReset(status, time.now, time.timeZone);
      if (reset) {
        parts.push(reset);
      }
    }
  }
  const pool = bindingPoolWindow(status);
  if (pool && glance.showPool) {
    parts.push(poolPhrase(pool, settings?.usage_mode ?? 'left'));
  }
  return [text, ...parts].join(' · ');
}

export function backgroundFor(severity: Severity): FooterBackground {
  if (severity === 'error') {
    return 'error';
  }
  return severity === 'warning' ? 'warning' : undefined;
}

function severityIcon(severity: Severity): string {
  switch (severity) {
    case 'error':
      return '$(error)';
    case 'warning':
      return '$(warning)';
    case 'dim':
      return '$(sync~spin)';
    default:
      return '$(pulse)';
  }
}

function serverStateView(server: ServerState): FooterView {
  switch (server.kind) {
    case 'starting':
    case 'running':
      return {
        text: '$(sync~spin) MultiCodex',
        tooltip: 'Starting the MultiCodex server…',
        background: undefined,
        command: { command: CommandIds.showLogs },
        accessibilityLabel: 'MultiCodex is starting.',
      };
    case 'waiting':
      return {
        text: '$(warning) MultiCodex: restarting…',
        // The reason is what the process said when it stopped (exit status, last stderr).
        tooltip: `The MultiCodex server ${escapeMarkdown(describeState(server))}.\n\n[Show logs](command:${CommandIds.showLogs})`,
        background: 'warning',
        command: { command: CommandIds.showLogs },
        accessibilityLabel: 'The MultiCodex server is restarting.',
      };
    case 'stopped':
      return {
        text: '$(error) MultiCodex: server stopped',
        tooltip:
          `The MultiCodex server is not running (${escapeMarkdown(describeState(server))}).\n\n` +
          `[Restart server](command:${CommandIds.restartServer}) · [Show logs](command:${CommandIds.showLogs})`,
        background: 'error',
        command: { command: CommandIds.restartServer },
        accessibilityLabel: 'The MultiCodex server is not running. Restart it.',
      };
  }
}
