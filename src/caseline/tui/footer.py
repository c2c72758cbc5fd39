"""A footer that keeps the keys that matter most when the terminal is narrow.

Textual's footer shows every binding with ``show=True`` in order and cuts off whatever does
not fit, so at 80 columns ``?`` and ``q`` fell off the end. :class:`FittedFooter` shows the
same keys in the same order, but when they do not all fit it leaves out the least important
first, by the screen's ``FOOTER_PRIORITY`` (binding ids, most important first). Keys it leaves
out are still bound, and listed on the ``?`` screen, which is always kept.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

#: Cells the command-palette key takes at the right, and each key's padding (compact or not).
PALETTE_CELLS = 13
ITEM_PADDING = {True: 2, False: 4}


def fit_bindings(bindings: Sequence[Binding], priority: Sequence[str], width: int,
                 key_width) -> list[Binding]:
    """The bindings that fit in *width* cells, keeping their order, dropping by *priority*.

    Args:
        bindings: what the footer would show, in order.
        priority: binding ids, most important first; bindings not listed go first.
        width: cells available.
        key_width: ``binding -> cells`` it takes.
    """
    rank = {binding_id: i for i, binding_id in enumerate(priority)}
    kept = list(bindings)

    def cost(chosen: list[Binding]) -> int:
        return sum(key_width(b) for b in chosen)

    # Least important first: unlisted bindings, then the tail of the priority list.
    order = sorted(kept, key=lambda b: -rank.get(b.id or "", len(priority)))
    for binding in order:
        if cost(kept) <= width:
            break
        if binding.id == "case.help" or binding.action.endswith("show_help"):
            continue
        kept.remove(binding)
    return kept


class FittedFooter(Footer):
    """:class:`~textual.widgets.Footer` that drops low-priority keys to keep ``?`` in view."""

    _composed_width = 0

    def on_resize(self) -> None:
        # Only a new width changes what fits; restyling a row of keys costs a frame.
        if self._bindings_ready and self.size.width != self._composed_width:
            self.call_after_refresh(self.recompose)

    def compose(self) -> ComposeResult:
        if not self._bindings_ready:
            return
        active = self.screen.active_bindings
        shown: list[tuple[Binding, bool, str]] = []
        seen: set[str] = set()
        for _, binding, enabled, tooltip in active.values():
            if binding.show and binding.action not in seen:
                seen.add(binding.action)
                shown.append((binding, enabled, tooltip))
        self._composed_width = self.size.width
        width = (self.size.width or self.app.size.width) - PALETTE_CELLS
        priority = getattr(self.screen, "FOOTER_PRIORITY", ())

        def key_width(binding: Binding) -> int:
            return len(self.app.get_key_display(binding)) + len(binding.description) + ITEM_PADDING[self.compact]

        kept = {id(b) for b in fit_bindings([b for b, _, _ in shown], priority, width, key_width)}
        self.styles.grid_size_columns = len(kept)
        for binding, enabled, tooltip in shown:
            if id(binding) not in kept:
                continue
            yield FooterKey(
                binding.key,
                self.app.get_key_display(binding),
                binding.description,
                binding.action,
                disabled=not enabled,
                tooltip=tooltip,
            ).data_bind(compact=Footer.compact)
        if self.show_command_palette and self.app.ENABLE_COMMAND_PALETTE:
            try:
                _node, binding, enabled, tooltip = active[self.app.COMMAND_PALETTE_BINDING]
            except KeyError:
                return
            yield FooterKey(
                binding.key,
                self.app.get_key_display(binding),
                binding.description,
                binding.action,
                classes="-command-palette",
                disabled=not enabled,
                tooltip=binding.tooltip or binding.description,
            )
