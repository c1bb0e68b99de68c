"""The read side: ``NumbersService`` runs a search, regions or active query through
the Sinch client (``service``), fans place searches out over area codes (``fanout``), applies
filters Sinch cannot (``refine``), caches recent searches (``cache``) and returns ``results``.

It may import ``bot.active``, ``bot.sinch``, ``bot.ops`` and ``bot.core``; never Slack, the CLI
or the command grammar.
"""
