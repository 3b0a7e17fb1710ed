// The Footer Settings panel: one toggle per preference, cycling through the values the
// server lists for it (footer/get's `choices`), so the panel never keeps its own copy.
import type { FooterChoices, FooterPatch, FooterSettings } from './protocol';
import { FOOTER_SETTING_KEYS } from './settingsModel';

export type FooterField = keyof FooterSettings;
export type FooterValue = FooterSettings[FooterField];

export interface FooterOption {
  readonly field: FooterField;
  readonly label: string;
  readonly description: string;
  readonly values: readonly FooterValue[];
}

interface FooterText {
  readonly label: string;
  readonly description: string;
}

/** The panel's words for each setting, in the panel's order. */
const FOOTER_TEXT: Readonly<Record<FooterField, FooterText>> = {
  usage_mode: { label: 'Usage display', description: 'Show remaining or consumed quota percentages' },
  reset_window: {
    label: 'Reset countdown window',
    description: 'The window closest to running out (binding), always the 5h one, always the long one (7d: weekly, 30-day on Team), or both',
  },
  show_account: { label: 'Show account', description: 'Display the active account in the footer' },
  show_reset: { label: 'Show reset countdown', description: 'Display the time until the window resets' },
  order: { label: 'Footer order', description: 'Account before or after the usage fields' },
  compact: { label: 'Compact footer', description: 'One window (the binding one) and a short name, for narrow status bars' },
};

/** One option per setting, offering the values the server lists for it. */
export function footerOptions(choices: FooterChoices): FooterOption[] {
  return (Object.keys(FOOTER_TEXT) as FooterField[]).map((field) => ({
    field,
    ...FOOTER_TEXT[field],
    values: choices[field],
  }));
}

export function valueText(value: FooterValue): string {
  if (typeof value === 'boolean') {
    return value ? 'on' : 'off';
  }
  return value;
}

/** The settings with the option's field moved to its next value (wrapping around). */
export function toggled(settings: FooterSettings, option: FooterOption): FooterSettings {
  if (option.values.length === 0) {
    return settings;
  }
  const index = option.values.indexOf(settings[option.field]);
  const next = option.values[(index + 1) % option.values.length];
  return { ...settings, [option.field]: next } as FooterSettings;
}

export function asPatch(settings: FooterSettings): FooterPatch {
  return { ...settings };
}

/** The VS Code setting key (below `multicodex.`) for a footer field. */
export function settingKeyFor(field: FooterField): string {
  return FOOTER_SETTING_KEYS[field];
}
