// The Rotation Policy panel: one row per field of the server's policy (rotation/get), the
// strategies the server offers, and what the user types turned into a rotation/set patch.
// No vscode import.
import type { ResetCreditConfirm, RotationInfo, RotationPatch, RotationPolicy, WhenExhausted } from './protocol';

export type RotationField = keyof RotationPolicy;

type FieldKind = 'strategy' | 'choice' | 'boolean' | 'count' | 'seconds';

/** A value of a `choice` field and what it does, in the CLI's words. */
export interface RotationChoice {
  readonly value: string;
  readonly description: string;
}

/** The closed choices of the fields edited by picking one (the Records keep them complete). */
const WHEN_EXHAUSTED: Readonly<Record<WhenExhausted, string>> = {
  wait: 'wait for a reset (default): nothing is ever spent',
  'reset-credit': 'spend a banked reset credit on the account whose reset is furthest away',
  'paid-credits': "use an account's paid credits",
};
const RESET_CREDIT_CONFIRM: Readonly<Record<ResetCreditConfirm, string>> = {
  ask: 'ask before each spend (default)',
  automatic: 'spend without asking',
};
const CHOICES: Partial<Record<RotationField, Readonly<Record<string, string>>>> = {
  when_exhausted: WHEN_EXHAUSTED,
  reset_credit_confirm: RESET_CREDIT_CONFIRM,
};

interface FieldText {
  readonly label: string;
  readonly description: string;
  readonly kind: FieldKind;
}

/** Every policy field, in the panel's order (the Record makes a new field a type error). */
const FIELDS: Readonly<Record<RotationField, FieldText>> = {
  strategy: { label: 'Strategy', description: 'how the next account is chosen', kind: 'strategy' },
  retry_limit: { label: 'Retries on other accounts', description: 'before any output has streamed', kind: 'count' },
  fallback_cooldown_seconds: {
    label: 'Cooldown without a reset time',
    description: 'when a quota error does not say when the window resets',
    kind: 'seconds',
  },
  sticky: {
    label: 'Sticky conversations',
    description: 'a conversation stays on its account while that account is healthy',
    kind: 'boolean',
  },
  first_output_timeout_seconds: {
    label: 'First output timeout',
    description: 'longest wait for the backend to start answering before trying another account',
    kind: 'seconds',
  },
  stall_timeout_seconds: {
    label: 'Stall timeout',
    description: 'longest silence once the answer has started',
    kind: 'seconds',
  },
  when_exhausted: {
    label: 'When every quota is used up',
    description: 'once every included quota is used up: wait for a reset (default), spend a banked reset credit, or use paid credits',
    kind: 'choice',
  },
  reset_credit_confirm: {
    label: 'Reset credit confirmation',
    description: 'with when-exhausted reset-credit: ask before each spend (default) or not',
    kind: 'choice',
  },
};

export interface RotationRow {
  readonly field: RotationField;
  readonly label: string;
  /** The value in force, as the panel shows it. */
  readonly value: string;
  readonly detail: string;
}

export function rotationRows(info: RotationInfo): RotationRow[] {
  return (Object.keys(FIELDS) as RotationField[]).map((field) => ({
    field,
    label: FIELDS[field].label,
    value: valueText(field, info),
    detail: detailText(field, info),
  }));
}

export function fieldLabel(field: RotationField): string {
  return FIELDS[field].label;
}

/** The values a `choice` field takes, each with what it does; empty for other fields. */
export function choicesFor(field: RotationField): RotationChoice[] {
  return Object.entries(CHOICES[field] ?? {}).map(([value, description]) => ({ value, description }));
}

/** How a field is edited: pick a strategy or a choice, flip a switch, or type a number. */
export function editKind(field: RotationField): FieldKind {
  return FIELDS[field].kind;
}

/** The typed text as the field's value, or why it is not one. The server checks ranges. */
export function parseNumber(field: RotationField, text: string): { value: number } | { error: string } {
  const trimmed = text.trim();
  if (FIELDS[field].kind === 'count') {
    return /^\d+$/.test(trimmed) ? { value: Number(trimmed) } : { error: 'A whole number, 0 or more.' };
  }
  const value = Number(trimmed);
  return trimmed !== '' && Number.isFinite(value) && value > 0 ? { value } : { error: 'A number of seconds above 0.' };
}

/** A rotation/set patch changing only `field`. */
export function patchFor(field: RotationField, value: string | number | boolean): RotationPatch {
  return { [field]: value } as RotationPatch;
}

function valueText(field: RotationField, info: RotationInfo): string {
  const value = info.policy[field];
  if (typeof value === 'boolean') {
    return value ? 'on' : 'off';
  }
  if (FIELDS[field].kind === 'seconds') {
    return `${value} s`;
  }
  return String(value);
}

function detailText(field: RotationField, info: RotationInfo): string {
  if (field === 'strategy') {
    const current = info.strategies.find((s) => s.name === info.policy.strategy);
    const names = info.strategies.map((s) => s.name).join(' / ');
    return `${current?.description ?? FIELDS.strategy.description} (${names})`;
  }
  const chosen = CHOICES[field]?.[String(info.policy[field])];
  return chosen ? `${chosen}; ${FIELDS[field].description}` : FIELDS[field].description;
}
