"""How reported texts are read: what is kept of them, when two are the same claim, how a verdict
and a CEK query are written. No database."""

from __future__ import annotations

import pytest

from broadcasts.hoaxes import claims, search, verdicts
from broadcasts.hoaxes.texts import cleaned, excerpt, fingerprint, has_words
from broadcasts.hoaxes.verdicts import Verdict

HOAX = "Pencoblosan diundur ke Maret karena logistik belum siap, sebarkan ke grup lain!"


def test_invisible_and_control_characters_are_never_kept() -> None:
    tricky = "Unduh\u202e fdp.exe\u202c\u200b sekarang\x07\r\n\n\n\ndari\u2066 KPU\u2069\t ya"
    assert cleaned(tricky) == "Unduh fdp.exe sekarang\n\ndari KPU ya"
    assert excerpt(tricky) == "Unduh fdp.exe sekarang dari KPU ya"
    assert not has_words("😱🔥 !!! …") and has_words("😱 TPS")


def test_an_excerpt_is_one_short_line_with_numbers_masked() -> None:
    text = "Hubungi 081234567890 untuk daftar ulang DPT. " * 10
    shown = excerpt(text, 80)
    assert len(shown) <= 80 and shown.endswith("…") and "\n" not in shown
    assert "0812-****-7890" in shown and "081234567890" not in shown
    assert excerpt("WA +62 812-3456-7890 atau +6581234567") == "WA 0812-****-7890 atau +65****4567"


def test_the_same_words_and_media_are_one_report() -> None:
    assert fingerprint("Pencoblosan  DIUNDUR\n") == fingerprint("pencoblosan diundur")
    assert fingerprint("pencoblosan diundur") != fingerprint("pencoblosan diundur", ["ab"])
    assert fingerprint("x", ["a", "b"]) == fingerprint("x", ["b", "a"])


@pytest.mark.parametrize(
    "variant",
    [
        "INFO PENTING: pencoblosan pemilu diundur ke bulan Maret karena logistik belum siap."
        " Sebarkan ke grup lain!!",
        "pencoblosan di undur ke maret krn logistik blm siap sebarkan ke grup lain",
        "Fwd: Pencoblosan diundur ke Maret karena logistik belum siap, sebarkan!",
        "Benarkah? Pencoblosan DIUNDUR ke Maret 2024 karena logistik belum siap, sebarkan ke"
        " grup lain!",
    ],
)
def test_a_hoax_with_small_changes_is_the_same_claim(variant: str) -> None:
    assert claims.similar(claims.terms_of(variant), claims.terms_of(HOAX)) >= claims.SIMILAR


@pytest.mark.parametrize(
    "other",
    [
        "Tinta pemilu mengandung lemak babi, jangan mau jari dicelup",
        "Pencoblosan tetap 14 Februari, KPU membantah kabar pengunduran",
        "pemilu curang",
        "Sebarkan ke grup lain: KPPS minta uang untuk daftar ulang",
    ],
)
def test_a_different_hoax_is_another_claim(other: str) -> None:
    assert claims.similar(claims.terms_of(other), claims.terms_of(HOAX)) < claims.SIMILAR


def test_the_same_picture_is_the_same_claim_with_or_without_words() -> None:
    alone = claims.terms_of("", ["c0ffee" * 10])
    assert alone == ["media" + ("c0ffee" * 10)[:32]]
    assert claims.similar(alone, claims.terms_of("", ["c0ffee" * 10])) == 100
    assert claims.similar(alone, claims.terms_of("", ["bead" * 16])) == 0


@pytest.mark.parametrize(
    "number", ["081234567890", "0812 3456 7890", "+62 812-3456-7890", "6281234567890"]
)
def test_a_phone_number_is_no_term(number: str) -> None:
    terms = claims.terms_of(f"Hubungi WA {number} sebelum tahun 2024")
    assert [t for t in terms if any(c.isdigit() for c in t)] == ["2024"], terms


@pytest.mark.parametrize(
    ("written", "term"),
    [
        ("hoax", "hoaks"),
        ("hoaxnya", "hoaks"),
        ("pencoblosan", "coblos"),
        ("dicoblos", "coblos"),
        ("diundur", "undur"),
        ("pengunduran", "undur"),
        ("PEMILU2024", "milu"),
    ],
)
def test_words_are_read_by_their_root_and_one_spelling(written: str, term: str) -> None:
    assert term in [found for _, found in search.words_and_terms(written)]


def test_words_too_common_or_short_are_not_searched() -> None:
    assert search.words_and_terms("apakah yang di itu?") == []
    assert not search.has_terms("?? !!")


@pytest.mark.parametrize(
    ("written", "verdict", "rest"),
    [
        ("HOAKS KPU membantah", Verdict.HOAX, "KPU membantah"),
        ("hoaks, KPU membantah", Verdict.HOAX, "KPU membantah"),
        ("BENAR memang diundur", Verdict.TRUE, "memang diundur"),
        ("belum-pasti masih diperiksa", Verdict.UNPROVEN, "masih diperiksa"),
        ("Belum Pasti masih diperiksa", Verdict.UNPROVEN, "masih diperiksa"),
        ("FALSE the commission denies it", Verdict.HOAX, "the commission denies it"),
        ("UNPROVEN", Verdict.UNPROVEN, ""),
    ],
)
def test_a_verdict_is_read_as_coordinators_write_it(
    written: str, verdict: Verdict, rest: str
) -> None:
    found, _, summary = verdicts.read_verdict(written)
    assert (found, summary) == (verdict, rest)


def test_an_unknown_verdict_word_is_named_back() -> None:
    assert verdicts.read_verdict("PALSU katanya") == (None, "PALSU", "katanya")


def test_the_source_is_the_first_web_address_in_the_summary() -> None:
    summary = "Tidak benar (lihat https://www.kpu.go.id/berita/1). Juga http://b.go.id"
    assert verdicts.source_in(summary) == "https://www.kpu.go.id/berita/1"
    assert verdicts.source_in("KPU membantah") is None


@pytest.mark.parametrize(
    ("written", "kept"),
    [
        ("TPS tetap. Sumber: https://a.go.id/tps", "TPS tetap."),
        ("TPS tetap (sumber: https://a.go.id/tps).", "TPS tetap."),
        ("Not true. Source: https://a.go.id/x", "Not true."),
        ("Lihat https://a.go.id/x untuk rinciannya.", "Lihat https://a.go.id/x untuk rinciannya."),
    ],
)
def test_a_closing_source_is_shown_apart_from_the_summary(written: str, kept: str) -> None:
    assert verdicts.without_source(written, verdicts.source_in(written)) == kept
