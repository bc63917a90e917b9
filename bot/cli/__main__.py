"""`python -m bot.cli …`, as `cadrebot run` starts its children."""

from bot.cli import main

main()
