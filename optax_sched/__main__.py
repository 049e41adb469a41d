"""``python -m optax_sched``: the ``optax-sched`` command line."""

import sys

from optax_sched._cli import main

sys.exit(main())
