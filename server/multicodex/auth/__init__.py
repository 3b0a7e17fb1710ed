"""OAuth: login, token refresh, JWT claims and importers of other tools' credentials."""
