"""The on-disk account store: one versioned JSON document, atomic, locked, 0600."""
