// The lifecycle states of the server process, as the footer and commands see them.

export type ServerState =
  | { readonly kind: 'starting' }
  | { readonly kind: 'running' }
  | { readonly kind: 'waiting'; readonly retryInMs: number; readonly reason: string }
  | { readonly kind: 'stopped'; readonly reason: string };

export function describeState(state: ServerState): string {
  switch (state.kind) {
    case 'starting':
      return 'starting';
    case 'running':
      return 'running';
    case 'waiting':
      return `${state.reason}; restarting in ${Math.round(state.retryInMs / 1000)} s`;
    case 'stopped':
      return state.reason;
  }
}
