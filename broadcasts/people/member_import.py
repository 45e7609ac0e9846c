"""Importing a list of members into a group from a CSV file, for the dashboard and the CLI.

Two steps, so that nothing is half-saved: `preview` reads the file and checks every row against
the database, writing nothing; `apply` then adds every row that is still good in one
transaction, with the consent of each recorded as given by import (`ConsentSource.IMPORT`) by
the admin who confirmed it. A refused row is never imported: fix it in the file and import the
file again (the rows already added are then refused as "already a member").

What a file may look like: a header naming the columns (phone, name, role — in Indonesian or
English, as people write them: "No. HP", "Nomor WhatsApp", "Nama", "Peran"…), or no header with
the number first; `,`, `;` or tab between cells; UTF-8 with or without a BOM (Excel's "CSV
UTF-8"), or UTF-16 with its BOM. Any other encoding is refused with the line where reading
failed, never guessed: a guessed encoding turns names into mojibake for good.
"""

from __future__ import annotations

import base64
import codecs
import csv
import io
import json
import re
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from broadcasts.db.models import ConsentSource, Group, Member, Membership, Role
from broadcasts.editorial import audit
from broadcasts.people import consent, membership
from broadcasts.people.phones import PhoneError, normalise_phone

NAME_LENGTH = 200  # members.name
MAX_ROWS = 50_000
_CONFIRM_LIMIT = 16 * 1024 * 1024  # what a confirmation may inflate to
_SHOWN_VALUE = 40  # a refused cell is echoed back at most this long

# Header cells, lower-cased with punctuation turned into spaces.
_COLUMNS = {
    "phone": {
        "phone", "phone number", "mobile", "mobile number", "number", "whatsapp", "wa",
        "whatsapp number", "nomor", "no", "nomor hp", "no hp", "nomor telepon", "no telepon",
        "no telp", "telepon", "telp", "hp", "nomor whatsapp", "no whatsapp", "nomor wa", "no wa",
        "nomor ponsel", "ponsel", "handphone", "no handphone", "nomor handphone", "msisdn",
    },
    "name": {"name", "full name", "nama", "nama lengkap", "nama anggota"},
    "role": {"role", "peran", "jabatan di grup", "role in group"},
}  # fmt: skip
_ROLE_WORDS = {
    "": Role.MEMBER,
    "member": Role.MEMBER,
    "anggota": Role.MEMBER,
    "coordinator": Role.COORDINATOR,
    "koordinator": Role.COORDINATOR,
    "editor": Role.EDITOR,
}
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


class MemberFileError(ValueError):
    """The file as a whole cannot be read; nothing in it was looked at further. `key`: not_utf8
    (with `line`), empty, no_phone_column, too_many_rows (with `limit`), unreadable (`line`)."""

    def __init__(self, key: str, **data: Any) -> None:
        super().__init__(key, data)
        self.key = key
        self.data = data


@dataclass(frozen=True)
class FileRow:
    """One row as written in the file."""

    line: int  # the file's line number, as an editor shows it
    phone: str
    name: str
    role: str


@dataclass(frozen=True)
class Checked:
    """A row and what would become of it: `refusal` None means it is (or was) added.

    Refusals: no_phone, bad_phone (`value`), unknown_role (`value`), name_too_long (`limit`),
    duplicate (`line`: the first row with the number), already_member (`role`). `opted_out`: the
    person had stopped broadcasts (BERHENTI); added, they still receive nothing until MULAI."""

    row: FileRow
    phone: str | None  # E.164 once read
    role: Role | None
    refusal: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)
    opted_out: bool = False

    @property
    def good(self) -> bool:
        return self.refusal is None

    @property
    def name(self) -> str | None:
        return self.row.name or None


# --- Reading the file ----------------------------------------------------------------------


def decode(data: bytes) -> str:
    """The file's text: UTF-8 (a BOM allowed) or UTF-16 with its BOM; anything else refused
    with the line where it stops being UTF-8."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as error:
            raise MemberFileError("not_utf8", line=1) from error
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise MemberFileError("not_utf8", line=line) from error


def _separator(text: str) -> str:
    """`;` (Excel in an Indonesian locale), `,` or a tab: whichever the first line has most of."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    counts = {sep: first.count(sep) for sep in (",", ";", "\t")}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] else ","


def _header_word(cell: str) -> str:
    return " ".join(re.sub(r"[^0-9a-z]+", " ", cell.lower()).split())


def _cell(text: str) -> str:
    """A cell's text: control and invisible characters out, spaces collapsed, and the ' that
    spreadsheets (and our export) put before text that looks like a number or formula."""
    cleaned = " ".join(_CONTROL.sub(" ", text).split())
    return cleaned[1:].strip() if cleaned.startswith("'") else cleaned


def read(data: bytes) -> list[FileRow]:
    """The rows of a members file (see the module's text for what it may look like); blank lines
    are skipped. Raises MemberFileError when the file as a whole cannot be read."""
    text = decode(data)
    if not text.strip():
        raise MemberFileError("empty")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_separator(text))
    rows: list[tuple[int, list[str]]] = []
    try:
        for cells in reader:
            if any(cell.strip() for cell in cells):
                rows.append((reader.line_num, [_cell(cell) for cell in cells]))
            if len(rows) > MAX_ROWS + 1:
                raise MemberFileError("too_many_rows", limit=MAX_ROWS)
    except csv.Error as error:
        raise MemberFileError("unreadable", line=reader.line_num) from error
    if not rows:
        raise MemberFileError("empty")
    places = _header(rows[0][1])
    if places is None:  # no header: the number first, then the name and the role
        if not _looks_like_phone(rows[0][1][0]):
            raise MemberFileError("no_phone_column")
        places = {"phone": 0, "name": 1, "role": 2}
    else:
        rows = rows[1:]
        if not rows:
            raise MemberFileError("empty")

    def at(cells: list[str], column: str) -> str:
        place = places.get(column)
        return cells[place] if place is not None and place < len(cells) else ""

    return [
        FileRow(line, at(cells, "phone"), at(cells, "name"), at(cells, "role"))
        for line, cells in rows
    ]


def _header(cells: list[str]) -> dict[str, int] | None:
    """Where each known column is, when `cells` is a header naming the phone column."""
    places: dict[str, int] = {}
    for place, cell in enumerate(cells):
        word = _header_word(cell)
        for column, names in _COLUMNS.items():
            if word in names and column not in places:
                places[column] = place
    return places if "phone" in places else None


def _looks_like_phone(cell: str) -> bool:
    return sum(ch.isdigit() for ch in cell) >= 8


# --- Checking and importing ------------------------------------------------------------------


def check(session: Session, group: Group, rows: Sequence[FileRow]) -> list[Checked]:
    """What would become of each row if imported into `group` now; writes nothing. The database
    is asked once per 500 numbers, not once per row."""
    first: dict[str, int] = {}
    read_rows: list[Checked] = []
    for row in rows:
        read_rows.append(_check_row(row, first))
    phones = [found.phone for found in read_rows if found.good and found.phone]
    known = _known(session, group, phones)
    result = []
    for found in read_rows:
        if found.good and found.phone in known:
            opted_out, role = known[found.phone]
            if role is not None:
                found = Checked(
                    found.row, found.phone, found.role, "already_member", {"role": role}
                )
            else:
                found = Checked(found.row, found.phone, found.role, opted_out=opted_out)
        result.append(found)
    return result


def _check_row(row: FileRow, first: dict[str, int]) -> Checked:
    if not row.phone:
        return Checked(row, None, None, "no_phone")
    try:
        phone = normalise_phone(row.phone)
    except PhoneError:
        return Checked(row, None, None, "bad_phone", {"value": row.phone[:_SHOWN_VALUE]})
    role = _ROLE_WORDS.get(row.role.lower())
    if role is None:
        return Checked(row, phone, None, "unknown_role", {"value": row.role[:_SHOWN_VALUE]})
    if len(row.name) > NAME_LENGTH:
        return Checked(row, phone, role, "name_too_long", {"limit": NAME_LENGTH})
    if phone in first:
        return Checked(row, phone, role, "duplicate", {"line": first[phone]})
    first[phone] = row.line
    return Checked(row, phone, role)


def _known(
    session: Session, group: Group, phones: Iterable[str]
) -> dict[str, tuple[bool, Role | None]]:
    """For each number already a member's: whether they stopped broadcasts, and their role in
    `group` (None: not in it)."""
    found: dict[str, tuple[bool, Role | None]] = {}
    wanted = list(dict.fromkeys(phones))
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        rows = session.execute(
            select(Member.phone, Member.opted_out_at, Membership.role)
            .outerjoin(
                Membership,
                (Membership.member_id == Member.id) & (Membership.group_id == group.id),
            )
            .where(Member.phone.in_(chunk))
        )
        for phone, opted_out_at, role in rows:
            if phone is not None:
                found[phone] = (opted_out_at is not None, Role(role) if role else None)
    return found


def preview(session: Session, group: Group, data: bytes) -> list[Checked]:
    """The report of importing the file `data` into `group`, with nothing written."""
    return check(session, group, read(data))


def apply(
    session: Session, group: Group, rows: Sequence[FileRow], *, actor: str, now: datetime
) -> list[Checked]:
    """Adds every row that is good now (checked again: the database may have changed since the
    preview) in the caller's transaction: new people, their memberships with their roles, and
    a consent each, given by import by `actor`. Audited once, with the numbers of rows."""
    session.execute(select(Group.id).where(Group.id == group.id).with_for_update())
    checked = check(session, group, rows)
    good = [found for found in checked if found.good and found.phone and found.role]
    if not good:
        return checked
    phones = [found.phone for found in good if found.phone]
    people: dict[str, Member] = {}
    for start in range(0, len(phones), 500):
        chunk = phones[start : start + 500]
        for member in session.scalars(select(Member).where(Member.phone.in_(chunk))):
            if member.phone:
                people[member.phone] = member
    for found in good:
        assert found.phone is not None
        known = people.get(found.phone)
        if known is None:
            people[found.phone] = Member(phone=found.phone, name=found.name, created_at=now)
            session.add(people[found.phone])
        elif found.name and not known.name:
            known.name = found.name  # a name fills in one not known; it never replaces one
    session.flush()
    joined = [
        Membership(
            member_id=people[f.phone].id, group_id=group.id, role=f.role.value, created_at=now
        )
        for f in good
        if f.phone and f.role
    ]
    session.add_all(joined)
    for row in joined:
        consent.record(
            session, row.member_id, group.id, ConsentSource.IMPORT, at=now, given_by=actor
        )
    session.flush()
    membership.memberships_changed(session)
    audit.record(
        session,
        actor,
        "members_imported",
        "group",
        group.id,
        now,
        added=len(good),
        refused=len(checked) - len(good),
    )
    return checked


# --- Between the preview and the confirmation --------------------------------------------------


def to_confirm(checked: Iterable[Checked]) -> str:
    """The good rows of a preview as the confirmation carries them back (a hidden field of the
    page's form): line, number and role as read, the name as written; compressed, since the
    confirmation must fit the upload limit as the file did. `from_confirm` reads it; `apply`
    checks every row again, so a changed form can add nothing a file could not."""
    rows = [
        [found.row.line, found.phone, found.row.name, found.role.value]
        for found in checked
        if found.good and found.phone and found.role
    ]
    packed = json.dumps(rows, ensure_ascii=False, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(zlib.compress(packed, 9)).decode("ascii")


def from_confirm(text: str) -> list[FileRow]:
    """The rows `to_confirm` wrote; MemberFileError("unreadable") for anything else."""
    try:
        inflate = zlib.decompressobj()
        packed = inflate.decompress(base64.urlsafe_b64decode(text.strip()), _CONFIRM_LIMIT)
        if inflate.unconsumed_tail or not inflate.eof:
            raise ValueError("not a whole confirmation, or too large")
        rows = json.loads(packed)
        if not isinstance(rows, list) or len(rows) > MAX_ROWS:
            raise ValueError("not a list of rows")
        return [
            FileRow(int(line), _cell(str(phone)), _cell(str(name)), _cell(str(role)))
            for line, phone, name, role in rows
        ]
    except (ValueError, TypeError, zlib.error) as error:
        raise MemberFileError("unreadable", line=1) from error
