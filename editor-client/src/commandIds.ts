// Command ids contributed in package.json (kept in one place for links and buttons).
export const CommandIds = {
  accounts: 'multicodex.accounts',
  addAccount: 'multicodex.addAccount',
  importAccounts: 'multicodex.importAccounts',
  refresh: 'multicodex.refresh',
  refreshAll: 'multicodex.refreshAll',
  reauth: 'multicodex.reauth',
  remove: 'multicodex.remove',
  rename: 'multicodex.rename',
  reset: 'multicodex.reset',
  footerSettings: 'multicodex.footerSettings',
  rotation: 'multicodex.rotation',
  verify: 'multicodex.verify',
  paths: 'multicodex.paths',
  ask: 'multicodex.ask',
  showLogs: 'multicodex.showLogs',
  restartServer: 'multicodex.restartServer',
  startEmptyStore: 'multicodex.startEmptyStore',
  showUsage: 'multicodex.showUsage',
} as const;

/** Commands the footer tooltip may link to (Markdown `isTrusted.enabledCommands`). */
export const TOOLTIP_COMMANDS: readonly string[] = [
  CommandIds.accounts,
  CommandIds.addAccount,
  CommandIds.importAccounts,
  CommandIds.refreshAll,
  CommandIds.reauth,
  CommandIds.showLogs,
  CommandIds.restartServer,
  CommandIds.footerSettings,
  CommandIds.showUsage,
];
