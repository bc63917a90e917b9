"""Start-up checks beyond the settings' own values: the data files they point at (the rules file, the FAQ)
must read cleanly, or the process refuses to start with the same message as a bad variable.

The checks live here, in the shell, because reading those files is the features' business (knowledge/): the
settings in the kernel only say where the files are.
"""

from __future__ import annotations

from pathlib import Path

from bot.config import Settings, SettingsError, explain, get_settings, load_settings
from knowledge.faq import FaqError, load_faq
from knowledge.rules import RulesError, load_rules


def problems_with_files(settings: Settings) -> list[tuple[str, str]]:
    """(setting, what is wrong) for each data file that does not read."""
    found: list[tuple[str, str]] = []
    if settings.rules_file:
        try:
            load_rules(Path(settings.rules_file))
        except RulesError as exc:  # several lines: indent them under the variable's name
            found.append(("rules_file", str(exc).replace("\n", "\n    ")))
    if settings.faq_file:
        try:
            load_faq(Path(settings.faq_file))
        except FaqError as exc:
            found.append(("faq_file", str(exc)))
    return found


def check_files(settings: Settings) -> Settings:
    """The settings back when their files read; SettingsError naming each bad one otherwise."""
    if found := problems_with_files(settings):
        raise SettingsError(explain(found))
    return settings


def load_checked_settings(**overrides: object) -> Settings:
    """`load_settings` plus the file checks: what a process calls once as it starts."""
    return check_files(load_settings(**overrides))


def checked_settings() -> Settings:
    """The process's cached settings (`get_settings`), their files checked."""
    return check_files(get_settings())
