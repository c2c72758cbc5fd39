"""The command palette (ctrl+p): the same actions as the keys, found by name."""

from __future__ import annotations

from functools import partial

from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider

#: Actions only reachable from the palette (no key of their own).
EXTRA_COMMANDS: tuple[tuple[str, str, str], ...] = (
    ("Toggle high contrast", "app.toggle_high_contrast", "Switch the high-contrast theme on or off"),
    ("Clear filter", "screen.clear_filter", "Show every row again"),
)


def palette_commands(screen) -> list[tuple[str, str, str]]:
    """``(title, action, help)`` for the screen's bindings (and the focused widget's)."""
    commands: list[tuple[str, str, str]] = []
    seen: set[str] = set()
    for binding in getattr(screen, "palette_bindings", lambda: [])():
        if not isinstance(binding, Binding) or not binding.description or binding.action in seen:
            continue
        seen.add(binding.action)
        action = binding.action if "." in binding.action else f"screen.{binding.action}"
        keys = binding.key_display or binding.key
        commands.append((binding.description, action, f"key: {keys}"))
    for title, action, help_text in EXTRA_COMMANDS:
        if action.startswith("screen.") and not hasattr(screen, "action_" + action.split(".", 1)[1]):
            continue
        commands.append((title, action, help_text))
    return commands


class CaselineCommands(Provider):
    """Expose the case screen's actions in the command palette."""

    def _commands(self) -> list[tuple[str, str, str]]:
        return palette_commands(self.screen)

    async def _run(self, action: str) -> None:
        await self.app.run_action(action, default_namespace=self.screen)

    async def discover(self) -> Hits:
        for title, action, help_text in self._commands():
            yield DiscoveryHit(title, partial(self._run, action), help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, action, help_text in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), partial(self._run, action), text=title, help=help_text)
