"""``python -m optax_sched``: the ``optax-sched`` command line (in ``sched_tools``)."""

import sys

from sched_tools import main

sys.exit(main())
