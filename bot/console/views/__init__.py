"""The 工作台's pages, a module each; each module's `add(router, console)` adds its routes (bot/console/routes.py
finds them all)."""
