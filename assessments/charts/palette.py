"""Colours, fonts and the Plotly config: one palette for the page and the PDF."""

LEVEL_NAMES = ("Manual", "Substitution", "Augmentation", "Modification", "Redefinition")
# The same colours as --level-0 .. --level-4 in static/css/ladder.css (a test keeps them equal).
LEVEL_COLOURS = {0: "#c9ced6", 1: "#a9c7e3", 2: "#6fa3d0", 3: "#3a78b5", 4: "#1b4f85"}
IT_COLOUR = "#2b6cb0"  # blue and orange stay apart for colour-blind readers too
OT_COLOUR = "#c05621"
GAP_COLOUR = "#b45309"  # the climb still to make: amber
GAP_TINT = "#fbe3b5"
EMPTY_COLOUR = "#eef1f5"
UNVERIFIED_TINT = "#f9dcd8"  # a level claimed above the verified level (also marked in words)
UNVERIFIED_COLOUR = "#b42318"  # --bad
DISPUTED_COLOUR = "#b42318"  # --bad
SETTLED_COLOUR = "#8d99a8"
AGREED_COLOUR = "#1e7a46"  # --ok
BEFORE_COLOUR = "#a9b4c2"
AFTER_COLOUR = "#1f4e79"  # --brand's default
INK = "#1b2430"
MUTED = "#5b6676"
GRID = "#dde3ea"
FONT_FAMILY = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif'

CONFIG = {
    "displaylogo": False,
    "showSendToCloud": False,  # Plotly's "Share chart" button sends it to Chart Studio: no use here
    "responsive": True,
    "modeBarButtonsToRemove": [
        "zoom2d",
        "pan2d",
        "select2d",
        "lasso2d",
        "zoomIn2d",
        "zoomOut2d",
        "autoScale2d",
        "resetScale2d",
    ],
    "toImageButtonOptions": {"format": "svg"},
}


def rgba(hex_colour: str, alpha: float) -> str:
    """A palette colour ("#rrggbb") with transparency, as CSS rgba()."""
    red, green, blue = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red},{green},{blue},{alpha})"
