// Escaping for text the server sends that ends up in Markdown or status-bar text.

/** Escapes Markdown syntax (and table pipes) in plain text. */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_[\]|<>~]/g, (ch) => `\\${ch}`).replace(/\$\(/g, '\\$(');
}

/** Keeps `$(` in server text from being read as a codicon in status-bar text. */
export function escapeCodicons(text: string): string {
  return text.replace(/\$\(/g, '\\$(');
}

/** A `command:` link target with JSON arguments, as VS Code expects them. */
export function commandUri(command: string, args?: readonly unknown[]): string {
  return args && args.length > 0
    ? `command:${command}?${encodeURIComponent(JSON.stringify(args))}`
    : `command:${command}`;
}
