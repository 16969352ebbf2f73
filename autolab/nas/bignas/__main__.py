"""`python -m autolab.nas.bignas COMMAND`: see commands.py."""

from .commands import main

main()
