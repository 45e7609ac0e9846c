"""The FAQ as data: parsing and validating a file, every error naming the file and the entry,
and the stored document parsing back to the same entries."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from broadcasts.elections.calendar import Localized
from broadcasts.elections.faq import (
    ANSWER_LIMIT,
    FaqEntry,
    FaqError,
    bundled_files,
    faq_document,
    parse_entry,
    parse_faq,
    read_faq_file,
)

FAQ = """\
entries:
  - id: cek-dpt
    topics:
      id: [cek dpt, Apakah saya   terdaftar]
      en: [am i registered]
    title: {id: Cara mengecek DPT, en: How to check the voter list}
    answer:
      id: |
        Buka cekdptonline.kpu.go.id.
        Masukkan NIK Anda.
      en: "Open cekdptonline.kpu.go.id and enter your NIK."
    source: KPU — cekdptonline.kpu.go.id
  - id: pindah-memilih
    topics:
      id: [pindah memilih, DPTb]
    title: {id: Pindah tempat memilih, en: Voting somewhere else}
    answer: {id: Urus formulir A di PPS., en: Ask the PPS for form A.}
    source: PKPU 7/2023
"""


def document() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(FAQ)
    return loaded


def entry_document(**changes: Any) -> dict[str, Any]:
    """The file's document with its second entry changed (None removes a field)."""
    changed = copy.deepcopy(document())
    entry = changed["entries"][1]
    for key, value in changes.items():
        if value is None:
            entry.pop(key, None)
        else:
            entry[key] = value
    return changed


def test_a_file_parses_into_its_entries_in_order() -> None:
    entries = parse_faq(document(), "pemilu.yaml")
    assert [e.id for e in entries] == ["cek-dpt", "pindah-memilih"]
    check = entries[0]
    assert check.topics_id == ("cek dpt", "apakah saya terdaftar")  # lowercase, spaces folded
    assert check.topics_en == ("am i registered",)
    assert check.title == Localized("Cara mengecek DPT", "How to check the voter list")
    assert check.answer.id == "Buka cekdptonline.kpu.go.id.\nMasukkan NIK Anda."  # lines kept
    assert check.source == "KPU — cekdptonline.kpu.go.id"
    assert entries[1].topics_en == () and entries[1].topics == ("pindah memilih", "dptb")


def test_the_stored_document_parses_back_to_the_same_entries() -> None:
    entries = parse_faq(document(), "pemilu.yaml")
    documents = [faq_document(e) for e in entries]
    stored = json.loads(json.dumps(documents))  # what a JSON column gives back
    assert tuple(parse_entry(d) for d in stored) == entries
    assert parse_faq({"entries": stored}, "stored") == entries
    assert [faq_document(parse_entry(d)) for d in stored] == documents


LONG = "x" * (ANSWER_LIMIT + 1)


@pytest.mark.parametrize(
    ("changed", "message"),
    [
        (entry_document(tags=["dpt"]), "entry 2 (pindah-memilih): unknown field 'tags'"),
        (entry_document(topics=None), "entry 2 (pindah-memilih): topics is missing"),
        (entry_document(topics={"id": []}), "entry 2 (pindah-memilih): topics needs at least"),
        (entry_document(topics={"id": [], "en": []}), "topics needs at least one phrase"),
        (entry_document(topics={"jv": ["pindah"]}), "topics: unknown field 'jv'"),
        (entry_document(topics={"id": "pindah"}), "topics: id must be a list of phrases"),
        (entry_document(topics={"id": ["dptb", 2024]}), "topics: id must be a list of phrases"),
        (entry_document(topics={"id": ["dptb", " DPTb "]}), "the phrase 'dptb' is given twice"),
        (entry_document(title=None), "entry 2 (pindah-memilih): title is missing"),
        (entry_document(title={"id": "Pindah"}), "entry 2 (pindah-memilih): title: en is missing"),
        (entry_document(title={"id": "Pindah", "en": 3}), "title: en must be text, found int 3"),
        (entry_document(answer={"id": LONG, "en": "ok"}), "answer.id is 1001 characters long"),
        (entry_document(answer={"id": "ok", "en": LONG}), "answer.en is 1001 characters long"),
        (entry_document(answer={"id": "ok", "en": "  "}), "answer: en must be text"),
        (entry_document(source=None), "entry 2 (pindah-memilih): source is missing"),
        (entry_document(id=None), "entry 2: id is missing"),
        (entry_document(id="Pindah Memilih"), "entry 2: id 'Pindah Memilih' must be lowercase"),
        (entry_document(id="a" * 65), "is longer than 64 characters"),
        (
            entry_document(id="cek-dpt"),
            "entry 2 (cek-dpt): id 'cek-dpt' is already used by entry 1",
        ),
    ],
)
def test_every_problem_in_an_entry_names_the_file_and_the_entry(
    changed: dict[str, Any], message: str
) -> None:
    with pytest.raises(FaqError) as raised:
        parse_faq(changed, "pemilu.yaml")
    assert str(raised.value).startswith("pemilu.yaml: entry 2")
    assert message in str(raised.value)


def test_an_answer_of_exactly_the_limit_is_accepted() -> None:
    changed = entry_document(answer={"id": "x" * ANSWER_LIMIT, "en": "ok"})
    assert len(parse_faq(changed, "pemilu.yaml")[1].answer.id) == ANSWER_LIMIT


@pytest.mark.parametrize(
    ("changed", "message"),
    [
        (None, "pemilu.yaml: expected a mapping of fields, found nothing"),
        ([], "pemilu.yaml: expected a mapping of fields, found a list"),
        ({"entries": [], "version": 1}, "pemilu.yaml: unknown field 'version'"),
        ({"entries": []}, "pemilu.yaml: entries must be a non-empty list"),
        ({"entry": []}, "pemilu.yaml: unknown field 'entry'"),
        ({"entries": ["cek-dpt"]}, "pemilu.yaml: entry 1: expected a mapping of fields"),
    ],
)
def test_a_broken_file_names_the_file(changed: object, message: str) -> None:
    with pytest.raises(FaqError, match="^" + message):
        parse_faq(changed, "pemilu.yaml")


def write(path: Path, content: str | bytes) -> Path:
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


def test_read_faq_file_reads_a_file(tmp_path: Path) -> None:
    entries = read_faq_file(write(tmp_path / "pemilu.yaml", FAQ))
    assert entries == parse_faq(document(), "pemilu.yaml")
    assert all(isinstance(e, FaqEntry) for e in entries)


def test_read_faq_file_refuses_what_is_not_an_faq_file(tmp_path: Path) -> None:
    with pytest.raises(FaqError, match=r"nope\.yaml: no such file"):
        read_faq_file(tmp_path / "nope.yaml")
    with pytest.raises(FaqError, match="is a directory, not an FAQ file"):
        read_faq_file(tmp_path)
    with pytest.raises(FaqError, match=r"latin\.yaml: is not UTF-8 text"):
        read_faq_file(write(tmp_path / "latin.yaml", FAQ.replace("—", "-").encode() + b"\xff"))
    broken = FAQ.replace("title: {id: Pindah", "title: {id: [Pindah")
    with pytest.raises(FaqError, match=r"^broken\.yaml: not valid YAML at line 16"):
        read_faq_file(write(tmp_path / "broken.yaml", broken))
    with pytest.raises(FaqError, match=r"^long\.yaml: entry 1 \(cek-dpt\): answer\.en is"):
        read_faq_file(write(tmp_path / "long.yaml", FAQ.replace("enter your NIK.", LONG)))


def test_the_bundled_faq_files_are_valid() -> None:
    seen: dict[str, str] = {}
    for path in bundled_files():
        for entry in read_faq_file(path):
            assert entry.id not in seen, f"{entry.id} is in {seen.get(entry.id)} and {path.name}"
            seen[entry.id] = path.name
