"""Showing and printing the PDFs a doctor sends during the call.

QtPdf is not part of PySide6-Essentials, so pages are rasterised with pdfium (``pypdfium2``)
and painted: on screen as a pixmap, on paper through ``QPrinter``. With no printer configured
the job goes to a PDF file under ``<data_dir>/printed/`` (a real print job all the same, the
pharmacist can print that file later), which is also what the tests check.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QImage, QPainter, QPixmap
from PySide6.QtPrintSupport import QPrinter, QPrinterInfo

PRINT_DPI = 200  # enough for a prescription's small print, light on memory


def render_pages(data: bytes, dpi: int = 96, max_pages: int = 20) -> list[QImage]:
    """Rasterise the first ``max_pages`` pages of a PDF into QImages (RGB)."""
    pdf = pdfium.PdfDocument(data)
    try:
        images = []
        for index in range(min(len(pdf), max_pages)):
            page = pdf[index]
            bitmap = page.render(scale=dpi / 72, rev_byteorder=True)
            arr = np.ascontiguousarray(bitmap.to_numpy()[:, :, :3])
            h, w = arr.shape[:2]
            # Copied: .copy() before ``arr`` (pdfium's bitmap) and the page are released.
            images.append(QImage(arr.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy())
            page.close()
        return images
    finally:
        pdf.close()


def first_page_pixmap(data: bytes, width: int) -> QPixmap:
    """A preview of page 1, ``width`` pixels wide."""
    pages = render_pages(data, dpi=110, max_pages=1)
    if not pages:
        return QPixmap()
    return QPixmap.fromImage(pages[0]).scaledToWidth(
        width, Qt.TransformationMode.SmoothTransformation
    )


class QtPdfPrinter:
    """``services.consultation.DocumentPrinter`` with Qt's print system."""

    def __init__(self, output_dir: Path, printer_name: str | None = None) -> None:
        self.output_dir = output_dir
        self.printer_name = printer_name

    async def print_pdf(self, data: bytes, title: str) -> str:
        """Print every page; returns the printer name or the PDF file written."""
        return self.print_now(data, title)

    def print_now(self, data: bytes, title: str) -> str:
        """Synchronous print (a prescription is a page or two: a few hundred ms)."""
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setResolution(PRINT_DPI)
        printer.setDocName(title)
        info = (
            QPrinterInfo.printerInfo(self.printer_name)
            if self.printer_name
            else QPrinterInfo.defaultPrinter()
        )
        if info.isNull():
            self.output_dir.mkdir(parents=True, exist_ok=True)
            safe = re.sub(r"[^A-Za-z0-9_.-]", "_", title)[:80] or "document.pdf"
            stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
            target = self.output_dir / f"{stamp}-{safe}"
            if target.suffix.lower() != ".pdf":
                target = target.with_suffix(".pdf")
            printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
            printer.setOutputFileName(str(target))
            where = str(target)
        else:
            printer.setPrinterName(info.printerName())
            where = info.printerName()
        painter = QPainter()
        if not painter.begin(printer):
            raise OSError(f"printer {where!r} refused the job")
        try:
            for i, image in enumerate(render_pages(data, dpi=PRINT_DPI)):
                if i:
                    printer.newPage()
                area = painter.viewport()
                size = image.size().scaled(area.size(), Qt.AspectRatioMode.KeepAspectRatio)
                painter.drawImage(QRect(area.x(), area.y(), size.width(), size.height()), image)
        finally:
            painter.end()
        return where
