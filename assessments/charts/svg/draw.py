"""The drawing primitives every SVG chart uses: a `Canvas` of shapes, text wrapping, a legend."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.safestring import SafeString, mark_safe

from assessments.charts.palette import INK, MUTED

# The PDF's font: DejaVu Sans is on every Debian machine WeasyPrint runs on; the rest are
# fallbacks. Charts measure text with DejaVu's average advance (~0.55 em).
FONT = "'DejaVu Sans', 'Liberation Sans', Arial, sans-serif"
CHAR_WIDTH = 0.55
LINE_HEIGHT = 1.2


def _esc(text) -> str:
    return (
        str(text)
        .replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
    )


def _n(x: float) -> str:
    """A coordinate with at most one decimal: small files, no float noise."""
    return f"{x:.1f}".rstrip("0").rstrip(".")


def wrap(text: str, width: float, size: float) -> list[str]:
    """`text` as lines that fit `width` pixels at font size `size`, broken between words (a
    word longer than a line where it must be). Nothing is cut off: a board reads every name."""
    limit = max(int(width / (size * CHAR_WIDTH)), 4)
    lines, line = [], ""
    for word in str(text).split():
        while len(word) > limit:
            if line:
                lines.append(line)
                line = ""
            lines.append(word[:limit])
            word = word[limit:]
        if not line:
            line = word
        elif len(line) + 1 + len(word) <= limit:
            line += " " + word
        else:
            lines.append(line)
            line = word
    return [*lines, line] if line or not lines else lines


def block_height(lines: int, size: float) -> float:
    """The height of `lines` lines of text at font size `size`."""
    return lines * size * LINE_HEIGHT


class Canvas:
    """An SVG document being written: shapes in, markup out."""

    def __init__(self, width: float, height: float, label: str):
        self.width, self.height, self.label = width, height, label
        self.parts: list[str] = []

    def rect(self, x, y, w, h, fill, *, stroke=None, rx=0, opacity=None) -> None:
        extra = f' stroke="{stroke}"' if stroke else ""
        extra += f' rx="{_n(rx)}"' if rx else ""
        extra += f' fill-opacity="{opacity}"' if opacity is not None else ""
        self.parts.append(
            f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(max(w, 0))}" height="{_n(max(h, 0))}"'
            f' fill="{fill}"{extra}/>'
        )

    def line(self, x1, y1, x2, y2, stroke, *, width=1, dash=None) -> None:
        extra = f' stroke-dasharray="{dash}"' if dash else ""
        self.parts.append(
            f'<line x1="{_n(x1)}" y1="{_n(y1)}" x2="{_n(x2)}" y2="{_n(y2)}" stroke="{stroke}"'
            f' stroke-width="{_n(width)}"{extra}/>'
        )

    def circle(self, cx, cy, r, fill, *, stroke=None, width=1) -> None:
        extra = f' stroke="{stroke}" stroke-width="{_n(width)}"' if stroke else ""
        self.parts.append(f'<circle cx="{_n(cx)}" cy="{_n(cy)}" r="{_n(r)}" fill="{fill}"{extra}/>')

    def polygon(self, points, fill, *, stroke, width=1, opacity=1.0) -> None:
        coords = " ".join(f"{_n(x)},{_n(y)}" for x, y in points)
        self.parts.append(
            f'<polygon points="{coords}" fill="{fill}" fill-opacity="{opacity}"'
            f' stroke="{stroke}" stroke-width="{_n(width)}" stroke-linejoin="round"/>'
        )

    def polyline(self, points, stroke, *, width=1) -> None:
        coords = " ".join(f"{_n(x)},{_n(y)}" for x, y in points)
        self.parts.append(
            f'<polyline points="{coords}" fill="none" stroke="{stroke}"'
            f' stroke-width="{_n(width)}" stroke-linejoin="round" stroke-linecap="round"/>'
        )

    def text(self, x, y, text, *, size=10, fill=INK, anchor="start", weight=None) -> None:
        extra = f' font-weight="{weight}"' if weight else ""
        extra += f' text-anchor="{anchor}"' if anchor != "start" else ""
        self.parts.append(
            f'<text x="{_n(x)}" y="{_n(y)}" font-size="{_n(size)}" fill="{fill}"{extra}>'
            f"{_esc(text)}</text>"
        )

    def lines(self, x, y, lines, *, size=10, valign="middle", **text) -> None:
        """Lines of text, one under the other, centred on `y` ("middle"), or starting ("top")
        or ending ("bottom") with their block there."""
        step = size * LINE_HEIGHT
        top = {"top": y, "bottom": y - step * len(lines)}.get(valign, y - step * len(lines) / 2)
        for i, line in enumerate(lines):
            self.text(x, top + step * i + step / 2 + size * 0.35, line, size=size, **text)

    def svg(self) -> SafeString:
        head = (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{_n(self.width)}"'
            f' height="{_n(self.height)}" viewBox="0 0 {_n(self.width)} {_n(self.height)}"'
            f' role="img" aria-label="{_esc(self.label)}" font-family="{FONT}">'
        )
        return mark_safe(head + "".join(self.parts) + "</svg>")  # every text escaped above


def legend(canvas: Canvas, x: float, y: float, items: Sequence[tuple[str, str]]) -> None:
    """A row of colour swatches with names, from (x, y)."""
    for name, colour in items:
        canvas.rect(x, y - 8, 10, 10, colour, rx=2)
        canvas.text(x + 14, y + 1, name, size=9, fill=MUTED)
        x += 26 + len(name) * 9 * CHAR_WIDTH
