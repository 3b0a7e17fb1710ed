"""The account store in a PostgreSQL database (see `store.PostgresStore`)."""
