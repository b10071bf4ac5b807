"""The goods, origins and planted non-compliance the generator draws from.

Unit values, duty rates and masses are plausible orders of magnitude for road
freight in the region, not official tariff data.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Good:
    hs: str
    description: str
    eur_per_kg: float
    mfn_duty: float  # percent, for non-preferential origin
    weight: float  # relative share of items
    kg_per_item: float  # median net mass of one item line
    unit: str | None = None  # supplementary unit
    kg_per_unit: float | None = None
    sps: str | None = None  # "phyto" or "vet": needs a health certificate
    licence: str | None = None  # restricted goods: the licence they need


GOODS: tuple[Good, ...] = (
    Good("020130", "Fresh boneless bovine meat", 6.5, 12.0, 1.5, 6000, sps="vet"),
    Good("020714", "Frozen chicken cuts", 2.2, 15.0, 2.0, 9000, sps="vet"),
    Good("040690", "Cheese", 5.0, 10.0, 1.5, 4000, sps="vet"),
    Good("070200", "Tomatoes, fresh or chilled", 0.9, 8.0, 3.0, 12000, sps="phyto"),
    Good("080510", "Oranges, fresh", 0.8, 4.0, 2.0, 15000, sps="phyto"),
    Good("080810", "Apples, fresh", 0.7, 6.0, 3.0, 16000, sps="phyto"),
    Good("060290", "Live plants", 3.0, 2.0, 0.8, 2500, sps="phyto"),
    Good("100199", "Wheat and meslin", 0.25, 5.0, 2.0, 24000, sps="phyto"),
    Good("170199", "Cane or beet sugar", 0.55, 12.0, 1.5, 20000),
    Good("220421", "Wine in containers of 2 l or less", 2.5, 10.0, 1.5, 8000, "l", 1.0),
    Good("220830", "Whiskies", 9.0, 10.0, 0.6, 3000, "l", 1.0),
    Good("240220", "Cigarettes containing tobacco", 60.0, 57.6, 0.5, 2000, "1000 p/st", 1.1),
    Good("271019", "Gas oils", 0.7, 3.5, 2.0, 22000),
    Good("300490", "Medicaments, in measured doses", 80.0, 0.0, 1.0, 800, licence="medicines"),
    Good("330499", "Beauty and skin-care preparations", 15.0, 4.0, 1.5, 1500),
    Good("380891", "Insecticides", 6.0, 6.5, 0.6, 3000, licence="plant protection"),
    Good("290379", "Halogenated hydrocarbons", 4.0, 5.5, 0.2, 2000, licence="ozone layer"),
    Good("390110", "Polyethylene, density < 0.94", 1.3, 6.5, 2.5, 18000),
    Good("401110", "New pneumatic tyres for cars", 3.5, 4.5, 2.0, 6000, "p/st", 8.0),
    Good("420221", "Handbags, outer surface of leather", 45.0, 3.0, 0.8, 400, "p/st", 0.8),
    Good("610910", "T-shirts of cotton, knitted", 18.0, 12.0, 3.0, 1500, "p/st", 0.2),
    Good("620342", "Men's trousers of cotton", 20.0, 12.0, 2.5, 1800, "p/st", 0.5),
    Good("640399", "Footwear with leather uppers", 25.0, 8.0, 2.5, 1200, "pa", 0.9),
    Good("690721", "Ceramic tiles", 0.6, 5.0, 2.0, 20000, "m2", 20.0),
    Good("720839", "Flat-rolled iron, hot-rolled, < 3 mm", 0.65, 0.0, 2.5, 24000),
    Good("730890", "Structures of iron or steel", 1.8, 0.0, 2.0, 12000),
    Good("761010", "Aluminium doors and windows", 6.0, 6.0, 1.0, 3000),
    Good("840734", "Spark-ignition engines > 1000 cc", 9.0, 4.2, 0.8, 3000, "p/st", 150.0),
    Good("841810", "Combined refrigerator-freezers", 4.0, 2.2, 1.5, 5000, "p/st", 70.0),
    Good("847130", "Portable computers (laptops)", 120.0, 0.0, 1.5, 600, "p/st", 2.5),
    Good("850760", "Lithium-ion accumulators", 25.0, 2.7, 1.2, 2500),
    Good("851713", "Smartphones", 250.0, 0.0, 1.0, 300, "p/st", 0.3),
    Good("852872", "Colour television receivers", 12.0, 14.0, 1.5, 3000, "p/st", 15.0),
    Good("852859", "Monitors, other", 12.0, 0.0, 0.5, 2000, "p/st", 6.0),
    Good("854143", "Photovoltaic modules", 3.0, 0.0, 1.5, 8000, "p/st", 22.0),
    Good("870323", "Passenger cars, 1500-3000 cc", 9.0, 10.0, 1.0, 7000, "p/st", 1400.0),
    Good("870899", "Parts of motor vehicles", 6.0, 4.5, 3.0, 5000),
    Good(
        "930330",
        "Sporting and hunting rifles",
        150.0,
        3.2,
        0.1,
        200,
        "p/st",
        3.5,
        licence="firearms",
    ),
    Good("940360", "Wooden furniture", 2.5, 5.0, 2.5, 6000),
    Good("950300", "Toys", 6.0, 4.7, 2.0, 3000),
    Good("640610", "Uppers and parts of uppers of footwear", 25.0, 3.0, 0.3, 800),
    Good("630790", "Made-up textile articles, other", 12.0, 6.3, 0.5, 1500),
    Good("220890", "Spirits, other", 6.0, 5.0, 0.4, 3000, "l", 1.0),
)

# Misclassification: the true good is declared under a look-alike code with a lower duty.
LOOKALIKES: dict[str, str] = {
    "852872": "852859",  # televisions declared as monitors
    "640399": "640610",  # footwear declared as parts of footwear
    "610910": "630790",  # T-shirts declared as made-up textile articles
    "220830": "220890",  # whisky declared as other spirits
    "870323": "870899",  # cars declared as parts
}

# Where goods come from, besides the exporting Party itself.
THIRD_ORIGINS: tuple[tuple[str, float], ...] = (
    ("CN", 0.45),
    ("TR", 0.2),
    ("IN", 0.08),
    ("VN", 0.07),
    ("US", 0.06),
    ("UA", 0.08),
    ("EG", 0.06),
)
EU_ORIGINS: tuple[tuple[str, float], ...] = (
    ("DE", 0.3),
    ("IT", 0.25),
    ("GR", 0.1),
    ("AT", 0.1),
    ("PL", 0.1),
    ("ES", 0.15),
)

# Planted non-compliance: kind -> relative frequency among non-compliant trips.
KINDS: tuple[tuple[str, float], ...] = (
    ("undervaluation", 3.0),
    ("misclassification", 2.0),
    ("false_origin", 2.0),
    ("under_declared_mass", 2.0),
    ("ghost_export", 1.0),
    ("restricted_without_licence", 1.0),
    ("sps_risk", 1.0),
)

# AEO authorisations: full (AEOF), customs simplifications (AEOC), security and safety (AEOS).
AEO_KINDS: tuple[tuple[str, float], ...] = (("AEOF", 0.5), ("AEOC", 0.4), ("AEOS", 0.1))

CURRENCIES: tuple[tuple[str, float], ...] = (
    ("EUR", 0.7),
    ("USD", 0.15),
    ("RSD", 0.03),
    ("MKD", 0.02),
    ("ALL", 0.02),
    ("BAM", 0.02),
    ("MDL", 0.02),
    ("HUF", 0.02),
    ("RON", 0.02),
)
INCOTERMS: tuple[tuple[str, float], ...] = (
    ("FCA", 0.35),
    ("DAP", 0.3),
    ("EXW", 0.15),
    ("CPT", 0.1),
    ("DDP", 0.05),
    ("CIP", 0.05),
)
