"""Border crossing points between the Parties, each with the customs office on either side.

These are real crossings on the CEFTA corridors. Office codes are riskhub's own
short codes (Party + three letters), not the national customs office list
numbers, which differ per administration.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Office:
    """A customs office at a border (BCP) or common crossing point (CCP)."""

    code: str
    name: str
    party: str
    has_weighbridge: bool = True


@dataclass(frozen=True, slots=True)
class Crossing:
    """A road crossing: the office on side ``a`` faces the office on side ``b``."""

    name: str
    a: Office
    b: Office
    # Relative daily traffic, so corridors like Horgos-Roszke carry more trucks.
    weight: float


def _o(code: str, name: str, weighbridge: bool = True) -> Office:
    return Office(code=code, name=name, party=code[:2], has_weighbridge=weighbridge)


CROSSINGS: tuple[Crossing, ...] = (
    Crossing("Preševo–Tabanovce", _o("RS-PRE", "Preševo"), _o("MK-TAB", "Tabanovce"), 3.0),
    Crossing("Horgoš–Röszke", _o("RS-HOR", "Horgoš"), _o("HU-ROS", "Röszke"), 4.0),
    Crossing("Batrovci–Bajakovo", _o("RS-BAT", "Batrovci"), _o("HR-BAJ", "Bajakovo"), 3.5),
    Crossing("Bogorodica–Evzoni", _o("MK-BOG", "Bogorodica"), _o("GR-EVZ", "Evzoni"), 2.5),
    Crossing("Morinë–Vërmicë", _o("AL-MOR", "Morinë"), _o("XK-VER", "Vërmicë"), 2.0),
    Crossing("Kakavijë–Kakavia", _o("AL-KAK", "Kakavijë"), _o("GR-KAK", "Kakavia"), 1.5),
    Crossing("Leușeni–Albița", _o("MD-LEU", "Leușeni"), _o("RO-ALB", "Albița"), 2.0),
    Crossing("Dobrakovo–Gostun", _o("ME-DOB", "Dobrakovo", False), _o("RS-GOS", "Gostun"), 1.0),
    Crossing("Sremska Rača–Rača", _o("RS-SRA", "Sremska Rača"), _o("BA-RAC", "Rača"), 1.5),
    Crossing("Hani i Hotit–Božaj", _o("AL-HAN", "Hani i Hotit"), _o("ME-BOZ", "Božaj"), 1.0),
    Crossing("Blace–Hani i Elezit", _o("MK-BLA", "Blace"), _o("XK-HAN", "Hani i Elezit"), 1.5),
    Crossing(
        "Gradiška–Stara Gradiška", _o("BA-GRA", "Gradiška"), _o("HR-SGR", "Stara Gradiška"), 2.0
    ),
)

OFFICES: dict[str, Office] = {
    office.code: office for crossing in CROSSINGS for office in (crossing.a, crossing.b)
}
