"""One module per benchmark; each has ``NAME`` and ``async def run(ctx) -> list[Row]``."""
