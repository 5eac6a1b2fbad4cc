"""``python -m tributary.cli``: the ``tributary`` command."""

from tributary.cli import main

raise SystemExit(main())
