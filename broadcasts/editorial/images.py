"""Images uploaded for library content: checked by their bytes, kept by their SHA-256.

WhatsApp takes PNG and JPEG pictures up to 5 MB, so only those are kept: the type is read from
the file's first bytes and the whole file is decoded once (a file named .png that is not one,
or a truncated picture, is refused), never taken from its name. A kept image is a file
`<sha256>.<png|jpg>` in the upload directory (`Settings.upload_dir`), written whole or not at
all, and served without login at `PUBLIC_BASE_URL/media/uploads/<name>` for Twilio to fetch.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image as Pillow

from broadcasts.errors import EditorialError

MAX_IMAGE_BYTES = 5 * 1024 * 1024  # WhatsApp's limit for a picture
MAX_PIXELS = 40_000_000  # a larger picture is a decompression bomb, not a poster
# The type by its first bytes: (signature, extension, media type, Pillow's name for it).
_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "png", "image/png", "PNG"),
    (b"\xff\xd8\xff", "jpg", "image/jpeg", "JPEG"),
)
MEDIA_TYPES = {extension: media for _, extension, media, _ in _SIGNATURES}
_NAME = re.compile(r"[0-9a-f]{64}\.(png|jpg)")
URL_PATH = "/media/uploads/"


@dataclass(frozen=True)
class Image:
    """A checked picture, ready to keep."""

    data: bytes
    sha256: str
    extension: str
    media_type: str
    width: int
    height: int

    @property
    def name(self) -> str:
        return f"{self.sha256}.{self.extension}"

    @property
    def size(self) -> int:
        return len(self.data)


def megabytes(size: int) -> float | int:
    """A size in MB as people read it: 4.8, or 5 when whole (the words put the comma)."""
    value = round(size / (1024 * 1024), 1)
    return int(value) if value.is_integer() else value


def check_image(data: bytes) -> Image:
    """The picture in `data`, or EditorialError: empty, too large, not PNG/JPEG, unreadable."""
    if not data:
        raise EditorialError("image_empty")
    if len(data) > MAX_IMAGE_BYTES:
        raise EditorialError(
            "image_too_large", size=megabytes(len(data)), limit=megabytes(MAX_IMAGE_BYTES)
        )
    found = next((s for s in _SIGNATURES if data.startswith(s[0])), None)
    if found is None:
        raise EditorialError("image_not_supported")
    _, extension, media_type, pillow_format = found
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Pillow.DecompressionBombWarning)
            with Pillow.open(io.BytesIO(data)) as picture:
                width, height = picture.size
                if picture.format != pillow_format or width * height > MAX_PIXELS:
                    raise EditorialError("image_unreadable")
                picture.load()  # decodes every pixel: a truncated or corrupt file fails here
    except EditorialError:
        raise
    except (OSError, ValueError, SyntaxError, Pillow.DecompressionBombError,
            Pillow.DecompressionBombWarning) as error:  # fmt: skip
        raise EditorialError("image_unreadable") from error
    return Image(
        data=data,
        sha256=hashlib.sha256(data).hexdigest(),
        extension=extension,
        media_type=media_type,
        width=width,
        height=height,
    )


def keep(directory: Path, image: Image) -> Path:
    """Writes the picture to `directory` whole or not at all (a temporary file renamed into
    place); the same picture twice is one file."""
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / image.name
    if target.is_file() and target.stat().st_size == image.size:
        return target
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".upload-", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(image.data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target


def kept(directory: Path, name: str) -> Path | None:
    """The kept picture called `name`, or None: any other name (a path, another type) is none."""
    if not _NAME.fullmatch(name):
        return None
    path = directory / name
    return path if path.is_file() else None


def public_url(base_url: str, image: Image) -> str:
    """Where Twilio fetches the picture."""
    return f"{base_url.rstrip('/')}{URL_PATH}{image.name}"


def upload_directory(upload_dir: str, cwd: Path | None = None) -> Path:
    """`Settings.upload_dir` as an absolute path (relative: to the working directory)."""
    path = Path(upload_dir)
    return path if path.is_absolute() else ((Path.cwd() if cwd is None else cwd) / path).resolve()
