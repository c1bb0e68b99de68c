"""Renting and releasing: the price policy, single flight per number and the
read-back after an unclear answer (``service``), the sentences Slack and the CLI show
(``text``, ``ledger_text``) and the settling of requests a crash left executing (``reconcile``).

It may import ``bot.store``, ``bot.sinch``, ``bot.ops`` and ``bot.core``; never a surface.
"""
