"""The domain's vocabulary and rules, shared by every layer: queries and number types
(``domain``), the exception tree (``errors``), time as a dependency (``clock``), prices
(``money``), phone-number facts (``phone``) and what makes a query valid (``validation``).

It imports nothing else of the bot; everything else may import it.
"""
