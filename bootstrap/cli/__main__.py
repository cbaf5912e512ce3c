"""``python -m bootstrap.cli``: the ``accord`` command."""

from bootstrap.cli import main

main()
