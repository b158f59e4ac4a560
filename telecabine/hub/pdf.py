"""Minimal PDF 1.4 writer for text documents (prescriptions, reports).

Base-14 Helvetica with WinAnsiEncoding (ISO 32000-1, annex D) covers French accents, the euro
sign and œ; characters outside cp1252 are replaced by "?". A4 pages, automatic wrapping and
page breaks. No dependency, deterministic output for the same input.
"""

from __future__ import annotations

import textwrap

A4 = (595, 842)
MARGIN = 56
LEADING = 15


def _escape(text: str) -> bytes:
    raw = text.encode("cp1252", errors="replace")
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def _wrap(lines: list[tuple[str, int, bool]], width_chars: int) -> list[tuple[str, int, bool]]:
    out = []
    for text, size, bold in lines:
        chars = int(width_chars * 11 / size)
        parts = textwrap.wrap(text, chars) if text.strip() else [""]
        out.extend((p, size, bold) for p in parts)
    return out


def render_pdf(lines: list[tuple[str, int, bool]], title: str = "") -> bytes:
    """PDF bytes for (text, font size, bold) lines, wrapped to the page width."""
    wrapped = _wrap(lines, 88)
    per_page = (A4[1] - 2 * MARGIN) // LEADING
    pages = [wrapped[i : i + per_page] for i in range(0, len(wrapped), per_page)] or [[]]
    objects: list[bytes] = []
    # 1 catalog, 2 pages, 3 font, 4 bold font, 5 info, then (page, content) pairs.
    kids = " ".join(f"{6 + 2 * i} 0 R" for i in range(len(pages)))
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode())
    font = "<< /Type /Font /Subtype /Type1 /BaseFont /{} /Encoding /WinAnsiEncoding >>"
    objects.append(font.format("Helvetica").encode())
    objects.append(font.format("Helvetica-Bold").encode())
    objects.append(b"<< /Title (" + _escape(title) + b") /Producer (Telecabine) >>")
    for page_lines in pages:
        stream = [b"BT", f"{MARGIN} {A4[1] - MARGIN} Td".encode()]
        for text, size, bold in page_lines:
            stream.append(f"/{'F2' if bold else 'F1'} {size} Tf 0 -{LEADING} Td".encode())
            stream.append(b"(" + _escape(text) + b") Tj")
        stream.append(b"ET")
        content = b"\n".join(stream)
        n = len(objects) + 1
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {A4[0]} {A4[1]}] "
            f"/Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents {n + 1} 0 R >>".encode()
        )
        objects.append(
            f"<< /Length {len(content)} >>\nstream\n".encode() + content + b"\nendstream"
        )
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + obj + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for off in offsets:
        out += f"{off:010d} 00000 n \n".encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /Info 5 0 R >>\n"
        f"startxref\n{xref}\n%%EOF\n"
    ).encode()
    return bytes(out)
