// Whether the server that answered `initialize` speaks the protocol this extension knows.
import { PROTOCOL_VERSION, type ServerCapabilitiesExtension } from './protocol';

/** A message for the user when the server is not usable, else undefined. */
export function incompatibility(capabilities: unknown): string | undefined {
  const experimental = (capabilities as { experimental?: { multicodex?: ServerCapabilitiesExtension } } | undefined)
    ?.experimental;
  const multicodex = experimental?.multicodex;
  if (!multicodex || typeof multicodex.protocol_version !== 'number') {
    return 'the program started as the MultiCodex server did not announce the MultiCodex protocol; check multicodex.server.command';
  }
  if (multicodex.protocol_version !== PROTOCOL_VERSION) {
    return `the MultiCodex server speaks protocol ${multicodex.protocol_version}, this extension speaks ${PROTOCOL_VERSION}; update whichever is older`;
  }
  return undefined;
}
