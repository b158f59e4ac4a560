"""Document reassembly: checksum, size, PDF magic, chunk accounting."""

from __future__ import annotations

import hashlib

import pytest

from telecabine.protocol import datachannel as dc
from telecabine.session.documents import DocumentAssembler, DocumentError, split_document

PDF = b"%PDF-1.4\n" + bytes(range(256)) * 200 + b"\n%%EOF\n"


def _feed(asm, begin, chunks, end):
    asm.begin(begin)
    for c in chunks:
        asm.chunk(c)
    return asm.end(end)


def test_multi_chunk_pdf_reassembles_in_any_order():
    begin, chunks, end = split_document("rx-1", "prescription", "ordonnance.pdf", PDF)
    assert len(chunks) == 4
    doc = _feed(DocumentAssembler(), begin, list(reversed(chunks)), end)
    assert doc.data == PDF and doc.sha256 == hashlib.sha256(PDF).hexdigest()
    assert doc.kind == "prescription" and doc.filename == "ordonnance.pdf"


def test_wrong_checksum_is_refused():
    begin, chunks, end = split_document("rx-2", "report", "cr.pdf", PDF)
    begin = begin.model_copy(update={"sha256": "0" * 64})
    with pytest.raises(DocumentError) as err:
        _feed(DocumentAssembler(), begin, chunks, end)
    assert err.value.code == "checksum_mismatch"


def test_not_a_pdf_is_refused_even_with_good_checksum():
    begin, chunks, end = split_document("x", "report", "cr.pdf", b"MZ\x90\x00 not a pdf")
    with pytest.raises(DocumentError) as err:
        _feed(DocumentAssembler(), begin, chunks, end)
    assert err.value.code == "not_pdf"


def test_missing_chunk_is_refused():
    begin, chunks, end = split_document("rx-3", "report", "cr.pdf", PDF)
    with pytest.raises(DocumentError) as err:
        _feed(DocumentAssembler(), begin, chunks[:-1], end)
    assert err.value.code == "missing_chunks"


def test_chunk_index_out_of_range_and_unknown_id():
    asm = DocumentAssembler()
    begin, chunks, _ = split_document("rx-4", "report", "cr.pdf", PDF)
    asm.begin(begin)
    with pytest.raises(DocumentError) as err:
        asm.chunk(chunks[0].model_copy(update={"index": 99}))
    assert err.value.code == "bad_chunk"
    with pytest.raises(DocumentError) as err:
        asm.chunk(chunks[0])  # the failed document was dropped
    assert err.value.code == "unknown_document"
    with pytest.raises(DocumentError):
        asm.end(dc.DocumentEnd(id="never-begun"))


def test_oversize_total_is_refused_before_end():
    begin, chunks, _ = split_document("rx-5", "report", "cr.pdf", PDF)
    asm = DocumentAssembler()
    asm.begin(begin.model_copy(update={"size": 100}))
    with pytest.raises(DocumentError) as err:
        asm.chunk(chunks[0])
    assert err.value.code == "size_mismatch"
