// The Footer Settings panel: one toggle per preference, cycling through its values.
import type { FooterPatch, FooterSettings } from './protocol';
import { FOOTER_SETTING_KEYS } from './settingsModel';

export type FooterField = keyof FooterSettings;

export interface FooterOption {
  readonly field: FooterField;
  readonly label: string;
  readonly description: string;
  readonly values: readonly (string | boolean)[];
}

export const FOOTER_OPTIONS: readonly FooterOption[] = [
  { field: 'usage_mode', label: 'Usage display', description: 'Show remaining or consumed quota percentages', values: ['left', 'used'] },
  { field: 'reset_window', label: 'Reset countdown window', description: 'Show the 5h countdown, the 7d countdown, or both', values: ['5h', '7d', 'both'] },
  { field: 'show_account', label: 'Show account', description: 'Display the active account in the footer', values: [true, false] },
  { field: 'show_reset', label: 'Show reset countdown', description: 'Display the time until the window resets', values: [true, false] },
  { field: 'order', label: 'Footer order', description: 'Account before or after the usage fields', values: ['account-first', 'usage-first'] },
];

export function valueText(value: string | boolean): string {
  if (typeof value === 'boolean') {
    return value ? 'on' : 'off';
  }
  return value;
}

/** The settings with `field` moved to its next value (wrapping around). */
export function toggled(settings: FooterSettings, field: FooterField): FooterSettings {
  const option = FOOTER_OPTIONS.find((o) => o.field === field);
  if (!option) {
    return settings;
  }
  const index = option.values.indexOf(settings[field]);
  const next = option.values[(index + 1) % option.values.length];
  return { ...settings, [field]: next } as FooterSettings;
}

export function asPatch(settings: FooterSettings): FooterPatch {
  return { ...settings };
}

/** The VS Code setting key (below `multicodex.`) for a footer field. */
export function settingKeyFor(field: FooterField): string {
  return FOOTER_SETTING_KEYS[field];
}
