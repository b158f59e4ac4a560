"""Reassembly and verification of documents the doctor sends over the data channel.

A document arrives as ``document_begin`` (size, SHA-256, chunk count), ``document_chunk`` x N
and ``document_end``. It is accepted only if every chunk arrived once, the size and SHA-256
match and the content starts with the PDF magic ``%PDF-`` (ISO 32000-1, 7.5.2). Errors carry a
stable ``code`` for the ``document_ack`` and a bilingual message for the screen.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass, field

from telecabine.protocol.datachannel import (
    MAX_CHUNK_BYTES,
    DocumentBegin,
    DocumentChunk,
    DocumentEnd,
)

MAX_PENDING = 4  # documents being received at the same time

_MESSAGES = {
    "unknown_document": "Document inconnu / unknown document",
    "bad_chunk": "Morceau de document invalide / invalid document chunk",
    "missing_chunks": "Document incomplet / incomplete document",
    "size_mismatch": "Taille du document incorrecte / document size mismatch",
    "checksum_mismatch": "Empreinte SHA-256 incorrecte / SHA-256 checksum mismatch",
    "not_pdf": "Ce n'est pas un PDF / not a PDF file",
    "too_many": "Trop de documents en cours / too many documents in progress",
}


class DocumentError(ValueError):
    """A document was refused; ``code`` goes in the ack, ``message`` is shown on screen."""

    def __init__(self, doc_id: str, code: str) -> None:
        self.doc_id = doc_id
        self.code = code
        self.message = _MESSAGES[code]
        super().__init__(f"{code}: {self.message}")


@dataclass(frozen=True)
class ReceivedDocument:
    """A verified PDF ready to be stored and printed."""

    id: str
    kind: str
    filename: str
    mime: str
    sha256: str
    data: bytes


@dataclass
class _Pending:
    begin: DocumentBegin
    chunks: dict[int, bytes] = field(default_factory=dict)
    received: int = 0


class DocumentAssembler:
    """Collects chunks per document id; ``end`` returns the verified document or raises."""

    def __init__(self) -> None:
        self._pending: dict[str, _Pending] = {}

    def begin(self, msg: DocumentBegin) -> None:
        """Start receiving a document (a repeated begin restarts it)."""
        if msg.id not in self._pending and len(self._pending) >= MAX_PENDING:
            raise DocumentError(msg.id, "too_many")
        self._pending[msg.id] = _Pending(msg)

    def chunk(self, msg: DocumentChunk) -> None:
        """Store one chunk; duplicates replace, out-of-range or oversized chunks fail."""
        pending = self._pending.get(msg.id)
        if pending is None:
            raise DocumentError(msg.id, "unknown_document")
        try:
            data = base64.b64decode(msg.data, validate=True)
        except (binascii.Error, ValueError):
            self._fail(msg.id, "bad_chunk")
        if msg.index >= pending.begin.chunks or len(data) > MAX_CHUNK_BYTES:
            self._fail(msg.id, "bad_chunk")
        if msg.index not in pending.chunks:
            pending.received += len(data)
        if pending.received > pending.begin.size:
            self._fail(msg.id, "size_mismatch")
        pending.chunks[msg.index] = data

    def end(self, msg: DocumentEnd) -> ReceivedDocument:
        """Verify and return the complete document (and forget it)."""
        pending = self._pending.pop(msg.id, None)
        if pending is None:
            raise DocumentError(msg.id, "unknown_document")
        begin = pending.begin
        if len(pending.chunks) != begin.chunks:
            raise DocumentError(msg.id, "missing_chunks")
        data = b"".join(pending.chunks[i] for i in range(begin.chunks))
        if len(data) != begin.size:
            raise DocumentError(msg.id, "size_mismatch")
        digest = hashlib.sha256(data).hexdigest()
        if digest != begin.sha256.lower():
            raise DocumentError(msg.id, "checksum_mismatch")
        if not data.startswith(b"%PDF-"):
            raise DocumentError(msg.id, "not_pdf")
        return ReceivedDocument(
            id=begin.id, kind=begin.kind, filename=begin.filename, mime=begin.mime,
            sha256=digest, data=data,
        )  # fmt: skip

    def _fail(self, doc_id: str, code: str):
        self._pending.pop(doc_id, None)
        raise DocumentError(doc_id, code)


def split_document(
    doc_id: str, kind: str, filename: str, data: bytes
) -> tuple[DocumentBegin, list[DocumentChunk], DocumentEnd]:
    """The messages that send ``data`` (used by tests and by any Python doctor client)."""
    pieces = [data[i : i + MAX_CHUNK_BYTES] for i in range(0, len(data), MAX_CHUNK_BYTES)]
    begin = DocumentBegin(
        id=doc_id, kind=kind, filename=filename, size=len(data),
        sha256=hashlib.sha256(data).hexdigest(), chunks=len(pieces),
    )  # fmt: skip
    chunks = [
        DocumentChunk(id=doc_id, index=i, data=base64.b64encode(p).decode())
        for i, p in enumerate(pieces)
    ]
    return begin, chunks, DocumentEnd(id=doc_id)
