"""Fictitious ID cards for the pty test peer, the simulator and the demo.

Every value is invented: names are the textbook placeholders (张三, 李四),
addresses lie on a 示例路 in a 示例市 that does not exist, document numbers
use sequence 001/002 and carry valid GB 11643 check digits so that the codec
accepts them. Never replace them with anything copied from a real card.
"""
from __future__ import annotations

import datetime as dt
import hashlib

from devices.records import CardType, IdCard

D = dt.date

# Resident ID, 10-year card, address with inner spaces (they must survive decoding).
ZHANG_SAN = IdCard(
    name="张三", gender="男", nation="汉", birth_date=D(1990, 3, 7),
    address="示例省示例市示例区示例路88号 3单元 101室", id_number="110105199003070017",
    authority="示例市公安局示例分局", valid_from=D(2015, 6, 1), valid_to=D(2035, 6, 1),
)

# Resident ID, holder over 46 at issue: 长期 (no expiry), ethnic group code 02.
LI_SI = IdCard(
    name="李四", gender="女", nation="蒙古", birth_date=D(1955, 6, 12),
    address="示例省示例市示例县示例路2号", id_number="110105195506120022",
    authority="示例县公安局", valid_from=D(2010, 1, 15), valid_to=None,
)

# Resident ID of a child (5-year card), check character X.
WANG_XIAOWU = IdCard(
    name="王小五", gender="男", nation="汉", birth_date=D(2012, 9, 1),
    address="示例省示例市示例区示例路3号", id_number="11010520120901001X",
    authority="示例市公安局示例分局", valid_from=D(2020, 3, 1), valid_to=D(2025, 3, 1),
)

# Hong Kong/Macao/Taiwan residence permit (card-type marker 'J').
CHEN_HMT = IdCard(
    name="陈示例", gender="男", nation="", birth_date=D(1992, 5, 5),
    address="示例省示例市示例区示例路5号", id_number="810000199205050039",
    authority="示例市公安局", valid_from=D(2019, 8, 1), valid_to=D(2024, 8, 1),
    card_type=CardType.HMT_RESIDENCE, extra={"travel_permit_no": "H00000000", "issue_count": "01"},
)

# Foreigner permanent residence ID, 2017 edition (marker 'I'): 15-character permit number.
SAMPLE_FOREIGN_2017 = IdCard(
    name="约翰示例", english_name="SAMPLE JOHN", gender="男", nation="GBR", birth_date=D(1980, 1, 1),
    address="", id_number="GBR110080010100", authority="", valid_from=D(2018, 7, 1), valid_to=D(2028, 7, 1),
    card_type=CardType.FOREIGN_PERMANENT,
    extra={"edition": "2017", "card_version": "01", "authority_code": "1100"},
)

# Foreigner permanent residence ID, 2023 edition (marker 'Y'): 18 digits starting with 9; the
# English name is longer than 35 characters so that it spans both of its fields.
SAMPLE_FOREIGN_2023 = IdCard(
    name="安娜示例", english_name="SAMPLE ANNA MARIA EXAMPLE-PLACEHOLDER TESTER", gender="女", nation="GBR",
    birth_date=D(1988, 2, 14), address="", id_number="911000198802140024", authority="",
    valid_from=D(2024, 1, 2), valid_to=D(2034, 1, 2), card_type=CardType.FOREIGN_PERMANENT,
    extra={"edition": "2023", "renewal_count": "00", "previous_link": ""},
)

SAMPLE_CARDS: dict[str, IdCard] = {
    "zhang_san": ZHANG_SAN, "li_si": LI_SI, "wang_xiaowu": WANG_XIAOWU, "chen_hmt": CHEN_HMT,
    "foreign_2017": SAMPLE_FOREIGN_2017, "foreign_2023": SAMPLE_FOREIGN_2023,
}


def sample_photo(seed: str = "sample") -> bytes:
    """A fixed 1024-byte stand-in for the WLT photo; not an image, and full of AA/96/69 bytes on purpose."""
    out = b""
    counter = 0
    while len(out) < 1024:
        out += hashlib.sha256(f"{seed}:{counter}".encode()).digest()
        counter += 1
    return out[:1024]


SAMPLE_PHOTO = sample_photo()
