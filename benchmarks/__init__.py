"""The benchmark suite: ``python -m benchmarks`` (or ``make bench``).

Measures helpers.db, batch_insert, the kernel and the timeouts against raw
``sqlite3``, pandas, sqlite-utils, JupySQL and a stock ipykernel, all in
one run, and reports ratios (the machine is shared and noisy; absolute
times mean little). See ``benchmarks/README.md``.
"""
