"""The wire client for the ChatGPT Codex backend: streaming, usage, failure classes."""
