// What to ask and say around multicodex/store/recover (no vscode import: unit-tested).
import { START_EMPTY_LABEL } from './errorModel';
import type { StoreRecoverResult } from './protocol';

export interface ConfirmationPrompt {
  readonly message: string;
  readonly detail: string;
  readonly confirm: string;
}

/** The modal question before starting with an empty store; `movedTo` is where the
 * unusable document went (unknown when the command was run from the palette). */
export function startEmptyPrompt(movedTo: string | undefined): ConfirmationPrompt {
  const where = movedTo
    ? `The unusable store document stays at ${movedTo}; nothing is deleted.`
    : 'An unusable store document stays where MultiCodex moved it; nothing is deleted.';
  return {
    message: 'Start MultiCodex with an empty store?',
    detail: `${where} Accounts have to be added or imported again, or restored from that file by hand.`,
    confirm: START_EMPTY_LABEL,
  };
}

/** What to tell the user once the server answered. */
export function recoveryOutcome(result: StoreRecoverResult): string {
  return `MultiCodex: ${result.message}`;
}
