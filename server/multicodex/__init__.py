"""MultiCodex: several ChatGPT Codex subscriptions that behave as one account."""

__version__ = "0.1.0"
