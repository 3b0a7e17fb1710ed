// The status-bar footer: renders the server's `multicodex/status` pushes (and the process
// state) through footerView, re-rendering countdowns on a timer. The footer settings in
// force (footer/get) are read again with each push: they decide what the glance adds.
import * as vscode from 'vscode';
import { TOOLTIP_COMMANDS } from './commandIds';
import { footerView, type FooterView } from './footerView';
import { Methods, Notifications, type FooterLine, type FooterSettings, type Status } from './protocol';
import type { ServerConnection } from './serverConnection';

const RERENDER_MS = 30_000;

export class StatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly statusEmitter = new vscode.EventEmitter<Status>();
  private status: Status | undefined;
  private preview: FooterLine | undefined;
  private previewSettings: FooterSettings | undefined;
  private footerSettings: FooterSettings | undefined;
  private readingSettings = false;
  private showPool = true;
  private visible = true;
  private readonly timer: NodeJS.Timeout;

  /** Fires with every newer status the server pushes. */
  readonly onDidChangeStatus = this.statusEmitter.event;

  constructor(private readonly connection: ServerConnection, private readonly log: vscode.LogOutputChannel) {
    this.item = vscode.window.createStatusBarItem('footer', vscode.StatusBarAlignment.Right, 100);
    this.item.name = 'MultiCodex usage';
    this.disposables.push(
      this.item,
      this.statusEmitter,
      connection.onNotification(Notifications.status, (status) => this.accept(status)),
      connection.onDidChangeState((state) => {
        if (state.kind !== 'running') {
          this.status = undefined;
        } else {
          void this.fetchStatus();
        }
        this.render();
      }),
    );
    this.timer = setInterval(() => this.render(), RERENDER_MS);
    this.render();
  }

  get latest(): Status | undefined {
    return this.status;
  }

  setVisible(visible: boolean): void {
    this.visible = visible;
    this.render();
  }

  /** Whether the footer adds the pool's headroom (multicodex.footer.showPool). */
  setShowPool(showPool: boolean): void {
    this.showPool = showPool;
    this.render();
  }

  /** Shows a draft footer (Footer Settings live preview, with its draft settings) until
   * cleared with undefined. */
  showPreview(line: FooterLine | undefined, settings?: FooterSettings): void {
    this.preview = line;
    this.previewSettings = line ? settings : undefined;
    if (!line) {
      void this.fetchFooterSettings();
    }
    this.render();
  }

  accept(status: Status): void {
    if (this.status && status.revision < this.status.revision) {
      return;
    }
    this.status = status;
    this.render();
    this.statusEmitter.fire(status);
    void this.fetchFooterSettings();
  }

  dispose(): void {
    clearInterval(this.timer);
    for (const disposable of this.disposables) {
      disposable.dispose();
    }
  }

  private async fetchStatus(): Promise<void> {
    try {
      this.accept(await this.connection.request(Methods.statusGet, {}));
    } catch (error) {
      this.log.warn(`Reading the status failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  private async fetchFooterSettings(): Promise<void> {
    if (this.readingSettings || !this.connection.isRunning) {
      return;
    }
    this.readingSettings = true;
    try {
      const info = await this.connection.request(Methods.footerGet, {});
      const changed = JSON.stringify(info.settings) !== JSON.stringify(this.footerSettings);
      this.footerSettings = info.settings;
      if (changed) {
        this.render();
      }
    } catch (error) {
      this.log.warn(`Reading the footer settings failed: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      this.readingSettings = false;
    }
  }

  private render(): void {
    if (!this.visible) {
      this.item.hide();
      return;
    }
    const status = this.status && this.preview ? { ...this.status, footer: this.preview } : this.status;
    const settings = this.preview ? this.previewSettings : this.footerSettings;
    const glance = settings ? { settings, showPool: this.showPool } : { showPool: this.showPool };
    this.apply(footerView(status, this.connection.state, { now: Date.now() / 1000 }, glance));
    this.item.show();
  }

  private apply(view: FooterView): void {
    this.item.text = view.text;
    const tooltip = new vscode.MarkdownString(view.tooltip, true);
    tooltip.isTrusted = { enabledCommands: [...TOOLTIP_COMMANDS] };
    this.item.tooltip = tooltip;
    this.item.backgroundColor = view.background
      ? new vscode.ThemeColor(`statusBarItem.${view.background}Background`)
      : undefined;
    this.item.command = {
      title: 'MultiCodex',
      command: view.command.command,
      arguments: view.command.arguments ?? [],
    };
    this.item.accessibilityInformation = { label: view.accessibilityLabel };
  }
}
