"""The seventh round's SMAC attempts table (issue 24): each attempt against autolab SMAC as shipped.

    python bench/tuner_smac_round7.py FUNC BASE OUT [OUT ...]

The eighth round's table (`tuner_schwefel_round8.py`) over every seed in the files: for every
tuner with rows for FUNC, on the seeds it shares with BASE (the shipped SMAC, `smac`), its
median and mean regret, BASE's median on the same seeds, the seeds where it is lower / higher and
the two-sided sign test's p (plus the eighth round's basin shares and seconds a run).
"""

from __future__ import annotations

import sys

from tuner_schwefel_round8 import main

if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], 0, 2**31, sys.argv[3:])
