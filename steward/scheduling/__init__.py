"""Scheduling visits at the customer's time.

So far this package holds the engine side only: the public HHCRSP benchmark format
(``hhcrsp``), an independent checker for solutions in that format (``hhcrsp_check``)
and the solver that plans caregivers' routes (``solver``). The domain (care agreements,
carers, the published schedule) is not built yet; see docs/scheduling.md.
"""
