"""A tiny document model rendered both as Markdown and as self-contained HTML.

Images are PNG files next to ``report.md`` (linked) and base64-embedded in ``index.html``, so
the HTML opens offline with no other file and no CDN.
"""

from __future__ import annotations

import base64
import html
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1100px;
margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
h1{border-bottom:2px solid #ddd;margin:.2em 0 .4em}
h2{margin:1.4em 0 .5em;border-bottom:1px solid #eee}h3{margin:1em 0 .4em}
table{border-collapse:collapse;margin:1em 0;font-size:.9em}.tw{overflow-x:auto;max-width:100%}
th,td{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}
th{background:#f4f4f4}tr:nth-child(even) td{background:#fafafa}
img{max-width:100%;border:1px solid #eee;margin:.5em 0}figure{margin:1em 0}
figcaption{font-size:.85em;color:#555}pre{background:#f6f8fa;padding:1em;overflow:auto}
.empty{color:#777;font-style:italic}
td.n{white-space:nowrap}details{margin:1em 0}summary{cursor:pointer;font-weight:600}
.lead{font-size:1.1em;background:#eef5ff;border-left:4px solid #3b82f6;padding:.5em .8em}
"""


@dataclass
class Doc:
    """Blocks of a report, in order."""

    title: str
    img_dir: Path
    blocks: list[tuple[str, object]] = field(default_factory=list)

    def h(self, text: str, level: int = 2) -> None:
        self.blocks.append(("h", (level, text)))

    def p(self, text: str) -> None:
        self.blocks.append(("p", text))

    def lead(self, text: str) -> None:
        """The paragraph a reader should see first (highlighted)."""
        self.blocks.append(("lead", text))

    def empty(self, text: str) -> None:
        """A section with nothing to show says so."""
        self.blocks.append(("empty", text))

    def table(self, headers: list[str], rows: list[list[str]]) -> None:
        self.blocks.append(("table", (headers, rows)))

    def image(self, path: Path, caption: str) -> None:
        self.blocks.append(("img", (Path(path), caption)))

    def code(self, text: str) -> None:
        self.blocks.append(("code", text))

    def fold(self, summary: str) -> None:
        """Start a folded block (``<details>``) that :meth:`unfold` closes."""
        self.blocks.append(("fold", summary))

    def unfold(self) -> None:
        self.blocks.append(("unfold", None))

    # -- rendering -------------------------------------------------------------------------
    def markdown(self, base: Path) -> str:
        out = [f"# {self.title}", ""]
        for kind, value in self.blocks:
            if kind == "h":
                level, text = value  # type: ignore[misc]
                out += [f"{'#' * level} {md_escape(text)}", ""]
            elif kind == "p":
                out += [md_escape(str(value)), ""]
            elif kind == "empty":
                out += [f"_{md_escape(str(value))}_", ""]
            elif kind == "lead":
                out += [f"**{md_escape(str(value))}**", ""]
            elif kind == "table":
                headers, rows = value  # type: ignore[misc]
                out.append("| " + " | ".join(md_escape(h) for h in headers) + " |")
                out.append("|" + "---|" * len(headers))
                out += ["| " + " | ".join(md_escape(c) for c in r) + " |" for r in rows]
                out.append("")
            elif kind == "img":
                path, caption = value  # type: ignore[misc]
                link = quote(_rel(path, base))
                out += [f"![{md_escape(caption)}]({link})", f"*{md_escape(caption)}*", ""]
            elif kind == "code":
                fence = "`" * max(3, _longest_backtick_run(str(value)) + 1)
                out += [fence, str(value), fence, ""]
            elif kind == "fold":
                out += ["<details>", f"<summary>{html.escape(str(value))}</summary>", ""]
            elif kind == "unfold":
                out += ["</details>", ""]
        return "\n".join(out)

    def html(self) -> str:
        e = html.escape
        parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>{e(self.title)}"
                 f"</title><style>{_CSS}</style></head><body><h1>{e(self.title)}</h1>"]
        for kind, value in self.blocks:
            if kind == "h":
                level, text = value  # type: ignore[misc]
                parts.append(f"<h{level}>{e(text)}</h{level}>")
            elif kind == "p":
                parts.append(f"<p>{e(str(value))}</p>")
            elif kind == "empty":
                parts.append(f"<p class='empty'>{e(str(value))}</p>")
            elif kind == "lead":
                parts.append(f"<p class='lead'>{e(str(value))}</p>")
            elif kind == "table":
                headers, rows = value  # type: ignore[misc]
                head = "".join(f"<th>{e(h)}</th>" for h in headers)
                body = "".join("<tr>" + "".join(_td(c) for c in r) + "</tr>" for r in rows)
                parts.append(f"<div class='tw'><table><thead><tr>{head}</tr></thead><tbody>"
                             f"{body}</tbody></table></div>")  # wide tables scroll, not overflow
            elif kind == "img":
                path, caption = value  # type: ignore[misc]
                data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
                parts.append(f"<figure><img alt='{e(caption)}' src='data:image/png;base64,{data}'>"
                             f"<figcaption>{e(caption)}</figcaption></figure>")
            elif kind == "code":
                parts.append(f"<pre>{e(str(value))}</pre>")
            elif kind == "fold":
                parts.append(f"<details><summary>{e(str(value))}</summary>")
            elif kind == "unfold":
                parts.append("</details>")
        parts.append("</body></html>")
        return "\n".join(parts)


_NUMBER = re.compile(r"[-+]?[0-9.]+( \[[-+0-9., ]+\])?( p=[0-9.]+)?")


def _td(cell: str) -> str:
    """A table cell; a number with its interval is kept on one line."""
    text = html.escape(cell)
    return f"<td class='n'>{text}</td>" if _NUMBER.fullmatch(cell) else f"<td>{text}</td>"


_MD_SPECIAL = re.compile(r"([\\`*\[\]|~])|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")


def md_escape(text: str) -> str:
    """``text`` as literal Markdown inline text, escaped like the HTML report escapes it.

    HTML is neutralised (``<`` ``>`` ``&``), Markdown syntax characters are backslash-escaped
    (an underscore inside a word cannot start emphasis and stays as it is, so config paths such
    as ``classifier.synthetic_ratio`` read plainly), a leading ``#`` too, and newlines become
    spaces (a table cell or heading is one line).
    """
    text = html.escape(str(text), quote=False).replace("\r", " ").replace("\n", " ")
    text = _MD_SPECIAL.sub(lambda m: "\\" + m.group(0), text)
    return "\\" + text if text.startswith("#") else text


def _longest_backtick_run(text: str) -> int:
    return max((len(m) for m in re.findall(r"`+", text)), default=0)


def _rel(path: Path, base: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(base.resolve()))
    except ValueError:
        return str(Path(path).resolve())
