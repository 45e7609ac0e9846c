"""Reading a members file (`member_import.read`): header words as people write them, either
separator, a BOM or UTF-16, no header at all, and refusing what cannot be read — with the line."""

from __future__ import annotations

import codecs

import pytest

from broadcasts.people.member_import import FileRow, MemberFileError, decode, read


def rows(data: bytes) -> list[tuple[int, str, str, str]]:
    return [(r.line, r.phone, r.name, r.role) for r in read(data)]


@pytest.mark.parametrize(
    "header",
    [
        "phone,name,role",
        "Nomor HP,Nama,Peran",
        "No. HP,Nama Lengkap,PERAN",
        "nomor_whatsapp,nama,role",
        "WhatsApp ,Full name,Role",
    ],
)
def test_header_words_as_people_write_them(header: str) -> None:
    assert rows(f"{header}\n0812-1111-2222,Rina,editor\n".encode()) == [
        (2, "0812-1111-2222", "Rina", "editor")
    ]


def test_columns_in_any_order_and_extra_columns_are_left_alone() -> None:
    data = b"kota;nama;jabatan;nomor\nPontianak;Rina;Kabid;0812 1111 2222\n"
    assert rows(data) == [(2, "0812 1111 2222", "Rina", "")]


def test_semicolons_tabs_a_bom_and_quoted_separators() -> None:
    data = '\ufeffnomor;nama;peran\r\n"0812-1111-2222";"Sari; Humas";koordinator\r\n'.encode()
    assert rows(data) == [(2, "0812-1111-2222", "Sari; Humas", "koordinator")]
    assert rows(b"phone\tname\n081211112222\tBudi\n") == [(2, "081211112222", "Budi", "")]


def test_utf16_from_excel_unicode_text() -> None:
    data = codecs.BOM_UTF16_LE + "nomor,nama\n081211112222,Dévi\n".encode("utf-16-le")
    assert rows(data) == [(2, "081211112222", "Dévi", "")]


def test_without_a_header_the_number_comes_first() -> None:
    assert rows(b"081211112222,Rina,editor\n\n+6281233334444\n") == [
        (1, "081211112222", "Rina", "editor"),
        (3, "+6281233334444", "", ""),
    ]


def test_cells_lose_invisible_characters_extra_spaces_and_a_leading_apostrophe() -> None:
    data = "nomor,nama\n'+62 812 1111 2222,\u202e  Rina\u200b   Wulandari \n".encode()
    assert read(data) == [FileRow(2, "+62 812 1111 2222", "Rina Wulandari", "")]


def test_latin1_is_refused_with_the_line_where_utf8_stops() -> None:
    data = "nomor,nama\n081211112222,Rina\n081233334444,André\n".encode("latin-1")
    with pytest.raises(MemberFileError) as refused:
        decode(data)
    assert (refused.value.key, refused.value.data) == ("not_utf8", {"line": 3})


@pytest.mark.parametrize(
    ("data", "key"),
    [
        (b"", "empty"),
        (b"\xef\xbb\xbf  \n\n", "empty"),
        (b"nomor,nama\n", "empty"),
        (b"nama,kota\nRina,Pontianak\n", "no_phone_column"),
    ],
)
def test_files_that_hold_no_rows_or_no_number_column(data: bytes, key: str) -> None:
    with pytest.raises(MemberFileError) as refused:
        read(data)
    assert refused.value.key == key
