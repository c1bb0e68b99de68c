"""What the account rents now: the per-region summary of active numbers (``summary``)
and their CSV rows (``csv_export``). Pure.

It may import ``bot.sinch`` (the wire models) and ``bot.core``.
"""
