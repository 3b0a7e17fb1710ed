// MultiCodex: Show Usage: a webview with the usage history as a chart (the webview's own
// bundle, dist/usageChart.js, draws it with uPlot). Strict content security policy: only
// the extension's own script (with a nonce) and stylesheet, no remote source. Refreshed
// when the status changes.
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { Methods, type Status } from './protocol';
import type { ServerConnection } from './serverConnection';
import { CHART_SPANS_HOURS, isChartRequest, usageChart, type ChartUpdate } from './usageChartModel';

const VIEW_TYPE = 'multicodex.usage';

export class UsageChart implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private spanHours = CHART_SPANS_HOURS[0] as number;
  private loading = false;
  private again = false;
  private readonly subscription: vscode.Disposable;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly connection: ServerConnection,
    private readonly latestStatus: () => Status | undefined,
    onDidChangeStatus: vscode.Event<Status>,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.subscription = onDidChangeStatus(() => void this.refresh());
  }

  show(): void {
    if (this.panel) {
      this.panel.reveal();
      return;
    }
    const dist = vscode.Uri.joinPath(this.extensionUri, 'dist');
    const panel = vscode.window.createWebviewPanel(VIEW_TYPE, 'MultiCodex Usage', vscode.ViewColumn.Active, {
      enableScripts: true,
      localResourceRoots: [dist],
    });
    panel.webview.html = chartHtml(panel.webview, dist);
    panel.webview.onDidReceiveMessage((message: unknown) => {
      if (!isChartRequest(message)) {
        return;
      }
      if (message.type === 'span') {
        this.spanHours = message.hours;
      }
      void this.refresh();
    });
    panel.onDidDispose(() => {
      this.panel = undefined;
    });
    this.panel = panel;
  }

  dispose(): void {
    this.subscription.dispose();
    this.panel?.dispose();
  }

  /** One history request at a time; changes meanwhile ask for one more. */
  private async refresh(): Promise<void> {
    if (!this.panel) {
      return;
    }
    if (this.loading) {
      this.again = true;
      return;
    }
    this.loading = true;
    try {
      await this.panel.webview.postMessage(await this.update());
    } finally {
      this.loading = false;
    }
    if (this.again) {
      this.again = false;
      await this.refresh();
    }
  }

  private async update(): Promise<ChartUpdate> {
    const spanHours = this.spanHours;
    const now = Date.now() / 1000;
    try {
      const history = await this.connection.request(Methods.usageHistory, { since: now - spanHours * 3600 });
      return { type: 'data', chart: usageChart(history, now, this.bucketLabels()), spanHours };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.log.warn(`Reading the usage history failed: ${message}`);
      return { type: 'error', message, spanHours };
    }
  }

  /** Model limits by their labels ('codex_bengalfox' → 'Spark'), from the status. */
  private bucketLabels(): Record<string, string> {
    const labels: Record<string, string> = {};
    for (const account of this.latestStatus()?.accounts ?? []) {
      for (const bucket of account.usage?.buckets ?? []) {
        labels[bucket.bucket] = bucket.label;
      }
    }
    return labels;
  }
}

function chartHtml(webview: vscode.Webview, dist: vscode.Uri): string {
  const nonce = randomBytes(16).toString('base64');
  const script = webview.asWebviewUri(vscode.Uri.joinPath(dist, 'usageChart.js'));
  const style = webview.asWebviewUri(vscode.Uri.joinPath(dist, 'usageChart.css'));
  const csp = [
    "default-src 'none'",
    `style-src ${webview.cspSource}`,
    `img-src ${webview.cspSource} data:`,
    `font-src ${webview.cspSource}`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${style.toString()}">
<title>MultiCodex Usage</title>
</head>
<body>
<header>
  <h1>MultiCodex usage</h1>
  <label>Span <select id="span">${CHART_SPANS_HOURS.map((h) => `<option value="${h}">${spanName(h)}</option>`).join('')}</select></label>
</header>
<ul id="forecasts"></ul>
<main id="charts"><p class="empty">Loading the usage history…</p></main>
<script nonce="${nonce}" src="${script.toString()}"></script>
</body>
</html>`;
}

function spanName(hours: number): string {
  return hours < 48 ? `last ${hours} hours` : `last ${hours / 24} days`;
}
