// What the status-bar item shows, decided from the server's status and the process state.
// Pure: the vscode-facing renderer only copies these fields onto a StatusBarItem.
import { CommandIds } from './commandIds';
import { escapeCodicons, escapeMarkdown } from './markdown';
import type { Severity, Status } from './protocol';
import type { ServerState } from './serverState';
import { describeState } from './serverState';
import { countdown } from './timeFormat';
import { statusTooltip, type TimeContext } from './tooltip';

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

export function footerView(
  status: Status | undefined,
  server: ServerState,
  time: TimeContext,
): FooterView {
  if (server.kind !== 'running' || !status) {
    return serverStateView(server);
  }
  if (status.no_accounts) {
    return {
      text: '$(add) MultiCodex: add an account',
      tooltip: statusTooltip(status, time),
      background: 'warning',
      command: { command: CommandIds.addAccount },
      accessibilityLabel: 'MultiCodex has no accounts. Add an account.',
    };
  }
  const reauth = status.needs_reauth;
  const firstReauth = reauth[0];
  if (!status.active && firstReauth && !status.all_exhausted) {
    return {
      text: `$(key) MultiCodex: re-authenticate ${escapeCodicons(firstReauth.display_name)}`,
      tooltip: statusTooltip(status, time),
      background: 'error',
      command: { command: CommandIds.reauth, arguments: [firstReauth.key] },
      accessibilityLabel: `MultiCodex: ${firstReauth.display_name} needs a new login.`,
    };
  }
  if (status.all_exhausted) {
    const next = status.earliest_reset === null
      ? ''
      : ` · next reset in ${countdown(status.earliest_reset - time.now)}`;
    return {
      text: `$(circle-slash) MultiCodex: all accounts exhausted${next}`,
      tooltip: statusTooltip(status, time),
      background: 'error',
      command: { command: CommandIds.accounts },
      accessibilityLabel: `MultiCodex: every account is exhausted${next}.`,
    };
  }
  const reauthBadge = reauth.length > 0 ? ` $(key) ${reauth.length}` : '';
  return {
    text: `${severityIcon(status.footer.severity)} ${escapeCodicons(status.footer.text)}${reauthBadge}`,
    tooltip: statusTooltip(status, time),
    background: backgroundFor(status.footer.severity),
    command: { command: CommandIds.accounts },
    accessibilityLabel: `MultiCodex: ${status.footer.text}${
      reauth.length > 0 ? `; ${reauth.length} account(s) need re-authentication` : ''
    }`,
  };
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
