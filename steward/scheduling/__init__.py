"""Scheduling visits at the customer's time: the engines, free of Django.

Two problems, each with its own engine and an independent checker:

- **the care day** (``care_problem``): carers with shifts, skills, breaks and travel
  modes; visits with preferred and acceptable windows, one or two carers, usual and
  excluded carers. ``care_solver`` plans it (our own search, chosen by measurement; see
  docs/scheduling.md), ``care_check`` checks any plan, ``care_diagnose`` says why a
  visit could not be placed, and ``care_baseline`` holds the staff-first baseline and
  the by-hand rota the benchmark compares against; ``care_pyvrp`` encodes the day for
  PyVRP, kept to measure it against our search;
- **the public HHCRSP benchmark** (``hhcrsp``: the format, reading and writing it):
  ``solver`` with ``engine_lns`` (ours) and ``engine_ortools``; ``hhcrsp_check`` checks
  a solution; ``timing`` finds the best start times of fixed HHCRSP routes (a small linear programme).

The domain (care agreements, carers, published schedules, check-ins) lives in
``steward.care`` and ``steward.visits``, which build a ``CareProblem`` from the
database and store the plan.
"""

from steward.scheduling.compiled import remove_stale_build

# Before any engine module is imported: a compiled engine older than its source would
# otherwise shadow it (see ``compiled``).
remove_stale_build()
