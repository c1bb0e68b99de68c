"""The command grammar: ``/numbers`` text (and ``numbers-bot`` arguments) to a
query. Pure: ``parser.parse_command`` is the entry point; region and type words, filters, place
words (with the place index in ``places``/``where``) and the number commands (rent, release,
show) each have a module.

It may import ``bot.core`` only.
"""
