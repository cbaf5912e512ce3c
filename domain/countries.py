"""Which country codes the record accepts: ISO 3166-1 alpha-2 codes as assigned, and the withdrawn codes of
the former states the record still names.

The assigned codes are those of the ``pycountry`` data (ISO 3166-1), copied here because the domain imports
the standard library alone; tests/domain/test_countries.py fails as soon as the copy and the installed data
differ, so that a code ISO assigns or withdraws is noticed. The former states' codes are transitionally reserved
in ISO 3166-1 (no longer assigned, never reused for another country for at least fifty years); the ISO 3166-3
code of each is kept beside it, since CS stood for two different states in turn.
"""

from __future__ import annotations

ASSIGNED = frozenset("""
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW
    BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI
    FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN
    IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME
    MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF
    PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV
    SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE
    YT ZA ZM ZW
""".split())
"""ISO 3166-1 alpha-2 codes assigned today (pycountry 26.2.16: 249 codes)."""

FORMER_STATES: dict[str, tuple[tuple[str, str], ...]] = {
    "SU": (("SUHH", "USSR, Union of Soviet Socialist Republics"),),
    "YU": (("YUCS", "Yugoslavia, (Socialist) Federal Republic of"),),
    "CS": (("CSHH", "Czechoslovakia, Czechoslovak Socialist Republic"), ("CSXX", "Serbia and Montenegro")),
    "DD": (("DDDE", "German Democratic Republic"),),
}
"""Withdrawn alpha-2 codes the record uses for former states, with their ISO 3166-3 codes and names."""

COUNTRY_CODES = ASSIGNED | FORMER_STATES.keys()


def is_country_code(text: object) -> bool:
    """Whether ``text`` is exactly one of the accepted codes: two capital letters, nothing around them."""
    return isinstance(text, str) and text in COUNTRY_CODES
