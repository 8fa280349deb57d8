"""A view that takes the focus restyles itself only, not its descendants.

Textual restyles a widget and everything under it when it gains or loses the focus (for `:focus`
rules on children). A view's only focus rule is its own (app.tcss), and restyling the Build view's
~45 widgets took 17 ms on the UI thread at every view switch, twice (blur and focus): the event
loop stalled (tests/test_app_stall.py).
"""

from __future__ import annotations

from textual.widget import Widget


class RestylesItselfOnFocus(Widget):
    def watch_has_focus(self, _has_focus: bool) -> None:
        self.app.stylesheet.update_nodes([self], animate=True)
