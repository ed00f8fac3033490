"""What is on the card: ID numbers (GB 11643), the 256-byte text block and the photo plug-ins. No I/O.

The text block decoders raise :class:`CardDataError` (a
:class:`~devices.errors.CardError`) whose messages never carry the personal
value that failed. The photo is WLT, a licensed format: decoders are plug-ins.
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Protocol

import structlog

from devices.errors import CardError
from devices.records import CardType, IdCard

log = structlog.get_logger("devices.idcard")

# ID numbers (GB 11643-1999, ISO 7064 MOD 11-2) ------------------------------------------

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)  # 2^(17-i) mod 11
ID_CHECK_CHARS = "10X98765432"  # indexed by the weighted sum mod 11
_ID18 = re.compile(r"\d{17}[\dX]")
_PERMIT_2017 = re.compile(r"[A-Z]{3}\d{12}")  # 3 letters (nationality) + 12 digits; no published check


class CardDataError(CardError):
    """The SAM read the card but the data does not decode; the message never holds the value."""


class InvalidIdNumber(CardDataError):
    pass


def id_check_char(first17: str) -> str:
    if len(first17) != 17 or not first17.isdigit() or not first17.isascii():
        raise ValueError("need exactly 17 digits")
    return ID_CHECK_CHARS[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS)) % 11]


def is_valid_id_number(number: str) -> bool:
    number = number.upper()
    return bool(_ID18.fullmatch(number)) and number.isascii() and id_check_char(number[:17]) == number[17]


def upgrade_id_15(number: str) -> str:
    """First-generation 15-digit number to 18 digits: '19' after the area code, then the check char."""
    if len(number) != 15 or not number.isdigit():
        raise ValueError("need exactly 15 digits")
    first17 = number[:6] + "19" + number[6:]
    return first17 + id_check_char(first17)


# Text block (256 bytes UCS-2LE, fixed fields right-padded with U+0020) ---------------------

TEXT_SIZE, PHOTO_SIZE = 256, 1024  # bytes, as the 30 01 reply announces them
MARKER_AT = 248  # UCS-2 card-type character
LONG_TERM = "长期"  # valid_to of cards without expiry (7F 95 1F 67)
GENDERS = {"0": "未知", "1": "男", "2": "女", "9": "未说明"}  # GB/T 2261.1
NATIONS = dict(zip((f"{i:02d}" for i in range(1, 57)), (
    "汉 蒙古 回 藏 维吾尔 苗 彝 壮 布依 朝鲜 满 侗 瑶 白 土家 哈尼 哈萨克 傣 黎 傈僳 佤 畲 高山 拉祜 水 东乡 纳西 "
    "景颇 柯尔克孜 土 达斡尔 仫佬 羌 布朗 撒拉 毛南 仡佬 锡伯 阿昌 普米 塔吉克 怒 乌孜别克 俄罗斯 鄂温克 德昂 保安 "
    "裕固 京 塔塔尔 独龙 鄂伦春 赫哲 门巴 珞巴 基诺").split())) | {"97": "其他", "98": "外国血统中国籍人士"}  # GB 3304
_CODES = {"nation": {v: k for k, v in NATIONS.items()}, "gender": {v: k for k, v in GENDERS.items()}}

# field: (byte offset, byte length); every layout sums to 256 with the reserved gaps
LAYOUTS: dict[str, dict[str, tuple[int, int]]] = {
    "resident": {"name": (0, 30), "gender": (30, 2), "nation": (32, 4), "birth": (36, 16), "address": (52, 70),
                 "id": (122, 36), "authority": (158, 30), "from": (188, 16), "to": (204, 16)},
    "J": {"name": (0, 30), "gender": (30, 2), "birth": (36, 16), "address": (52, 70), "id": (122, 36),
          "authority": (158, 30), "from": (188, 16), "to": (204, 16), "travel_permit_no": (220, 18),
          "issue_count": (238, 4)},
    "I": {"english_name": (0, 120), "gender": (120, 2), "id": (122, 30), "nation": (152, 6), "name": (158, 30),
          "from": (188, 16), "to": (204, 16), "birth": (220, 16), "card_version": (236, 4),
          "authority_code": (240, 8)},
    "Y": {"name": (0, 30), "gender": (30, 2), "renewal_count": (32, 4), "birth": (36, 16),
          "english_name": (52, 70), "id": (122, 36), "from": (188, 16), "to": (204, 16),
          "english_name_2": (220, 22), "nation": (242, 6), "previous_link": (250, 6)},
}
CARD_TYPES = {"resident": CardType.RESIDENT, "J": CardType.HMT_RESIDENCE, "I": CardType.FOREIGN_PERMANENT,
              "Y": CardType.FOREIGN_PERMANENT}
EDITIONS = {"I": "2017", "Y": "2023"}  # foreigner permanent residence card editions
_EXTRA = ("travel_permit_no", "issue_count", "card_version", "authority_code", "renewal_count", "previous_link")


def layout_of(text: bytes) -> str:
    marker = text[MARKER_AT:MARKER_AT + 2]
    return {b"J\x00": "J", b"I\x00": "I", b"Y\x00": "Y"}.get(marker, "resident")


def _field(text: bytes, span: tuple[int, int], *, strip: bool = True) -> str:
    off, size = span
    try:
        value = text[off:off + size].decode("utf-16-le")  # UCS-2 is UTF-16 without surrogates
    except UnicodeDecodeError as exc:
        raise CardDataError(f"a text field at byte {off} is not valid UCS-2") from exc
    return value.rstrip(" \x00") if strip else value  # never cut at the first space: addresses hold spaces


def _date(value: str, what: str, *, long_term: bool = False) -> dt.date | None:
    if long_term and value == LONG_TERM:
        return None
    if len(value) == 8 and value.isdigit() and value.isascii():
        try:
            return dt.date(int(value[:4]), int(value[4:6]), int(value[6:]))
        except ValueError:
            pass
    raise CardDataError(f"{what} is not a YYYYMMDD date")


def check_id_number(number: str, kind: str = "resident") -> str:
    """The number as stored (upper-case X), or InvalidIdNumber; the message never holds the number."""
    number = number.upper()
    if kind == "I":
        if not _PERMIT_2017.fullmatch(number):
            raise InvalidIdNumber("permit number is not 3 letters and 12 digits")
        return number
    if not _ID18.fullmatch(number) or not number.isascii():
        raise InvalidIdNumber(f"{CARD_TYPES[kind]} card number is not 17 digits and a check character")
    if kind == "Y" and number[0] != "9":
        raise InvalidIdNumber("2023 permanent residence number does not start with 9")
    if id_check_char(number[:17]) != number[17]:
        raise InvalidIdNumber(f"{CARD_TYPES[kind]} card number fails its GB 11643 check digit")
    return number


def decode_text_block(text: bytes, photo: bytes = b"", *, extra: dict | None = None) -> IdCard:
    """Decode the 256-byte text block into an IdCard; CardDataError when it does not hold together."""
    if len(text) != TEXT_SIZE:
        raise CardDataError(f"text block is {len(text)} bytes, expected {TEXT_SIZE}")
    kind = layout_of(text)
    f = {key: _field(text, span) for key, span in LAYOUTS[kind].items()}
    if kind == "Y":  # English name 1-35 then 36-46: join the unstripped halves, an inner space may sit at 35
        first = _field(text, LAYOUTS["Y"]["english_name"], strip=False).rstrip("\x00")
        f["english_name"] = (first + f.pop("english_name_2")).rstrip(" \x00")
    out_extra = dict(extra or {})
    out_extra.update({k: f[k] for k in _EXTRA if k in f})
    nation = f.get("nation", "")
    if kind == "resident":
        out_extra["nation_code"] = nation
        nation = NATIONS.get(nation, nation)  # an unknown code is kept as is rather than failing the card
    if kind in EDITIONS:
        out_extra["edition"] = EDITIONS[kind]
    english = f.get("english_name", "")
    return IdCard(
        name=f["name"] or english,
        gender=GENDERS.get(f["gender"], f["gender"]),
        nation=nation,
        birth_date=_date(f["birth"], "birth date"),
        address=f.get("address", ""),
        id_number=check_id_number(f["id"], kind),
        authority=f.get("authority", ""),
        valid_from=_date(f["from"], "valid-from date"),
        valid_to=_date(f["to"], "valid-to date", long_term=True),
        card_type=CARD_TYPES[kind],
        english_name=english,
        photo=photo,
        extra=out_extra,
    )


def _layout_for(card: IdCard) -> str:
    if card.card_type is CardType.HMT_RESIDENCE:
        return "J"
    if card.card_type is CardType.FOREIGN_PERMANENT:
        return "Y" if card.extra.get("edition") == "2023" or len(card.id_number) == 18 else "I"
    return "resident"


def encode_text_block(card: IdCard) -> bytes:
    """The inverse of :func:`decode_text_block`, for the test peer and fixtures; ValueError if a field overflows."""
    kind = _layout_for(card)
    date = lambda d: LONG_TERM if d is None else d.strftime("%Y%m%d")  # noqa: E731
    f = {"name": card.name if card.name != card.english_name else "", "english_name": card.english_name,
         "gender": _CODES["gender"].get(card.gender, card.gender), "birth": date(card.birth_date),
         "address": card.address, "id": card.id_number, "authority": card.authority,
         "from": date(card.valid_from), "to": date(card.valid_to),
         "nation": _CODES["nation"].get(card.nation, card.nation) if kind == "resident" else card.nation}
    f.update({k: str(card.extra.get(k, "")) for k in _EXTRA})
    if kind == "Y":
        f["english_name"], f["english_name_2"] = card.english_name[:35], card.english_name[35:]
    block = bytearray(" ".encode("utf-16-le") * (TEXT_SIZE // 2))
    for key, (off, size) in LAYOUTS[kind].items():
        raw = f[key].encode("utf-16-le")
        if len(raw) > size:
            raise ValueError(f"field {key} needs {len(raw)} bytes, the layout has {size}")
        block[off:off + len(raw)] = raw
    if kind != "resident":
        block[MARKER_AT:MARKER_AT + 2] = kind.encode("utf-16-le")
    return bytes(block)


# Photo decoding: plug-ins only ------------------------------------------------------------

class PhotoDecoder(Protocol):
    """WLT (1024 bytes, proprietary) to an image (e.g. a 102x126 BMP), or None when it cannot."""

    def decode(self, wlt: bytes) -> bytes | None: ...


class PhotoDecoderRegistry:
    """Named WLT decoders, empty by default.

    No open WLT decoder exists; every one is a licensed vendor library, which
    this project never bundles. An installation registers its own, and
    without one the photo stays opaque bytes (face matching then needs a
    backend photo).
    """

    def __init__(self) -> None:
        self._decoders: dict[str, PhotoDecoder] = {}

    def register(self, name: str, decoder: PhotoDecoder) -> None:
        if not callable(getattr(decoder, "decode", None)):
            raise TypeError(f"photo decoder {name!r} has no decode(wlt) method")
        self._decoders[name] = decoder

    def unregister(self, name: str) -> None:
        self._decoders.pop(name, None)

    def names(self) -> list[str]:
        return sorted(self._decoders)

    def decode(self, wlt: bytes, name: str | None = None) -> bytes | None:
        """The first image any (or the named) decoder makes; a failing plug-in counts as "no image"."""
        chosen = [self._decoders[name]] if name in self._decoders else [] if name else list(self._decoders.values())
        for decoder in chosen:
            try:
                image = decoder.decode(wlt)
            except Exception as exc:  # a vendor plug-in's bug must not fail the citizen's visit
                log.warning("idcard.photo_decoder_failed", decoder=type(decoder).__name__, error=type(exc).__name__)
                continue
            if image:
                return image
        return None
