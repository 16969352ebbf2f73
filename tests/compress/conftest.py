"""Nothing here imports torch at import time: without torch each test module is skipped by its own
importorskip instead of failing here."""
