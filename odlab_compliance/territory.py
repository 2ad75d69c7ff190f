"""Territory logic: the hierarchy France → région → département → EPCI → commune, the
selection kept in URLs (``Territory``), filtering a per-collectivité table to a territory,
the choices of the territory selector, and size bands.

Pure functions: DataFrames in, DataFrames (or plain values) out; no database, no
streamlit. The figures of a territory (rates, rankings) belong to ``model.figures``.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from odlab_compliance import fmt, vocab

LEVELS: tuple[str, ...] = ("FR", "REG", "DEP", "EPCI", "COM")
LEVEL_LABELS = {"FR": "France", "REG": "Région", "DEP": "Département",
                "EPCI": "Intercommunalité", "COM": "Commune"}
EPCI_TYPES = vocab.EPCI_TYPES
# The four families the Observatoire reports on; an EPT counts with the EPCI.
TYPE_FAMILIES = vocab.TYPE_FAMILIES
CHILD_LEVEL = {"FR": "REG", "REG": "DEP", "DEP": "EPCI", "EPCI": "COM"}
# The column of a collectivité that names the area of each level it belongs to.
CHILD_COLUMN = {"REG": "region", "DEP": "departement", "EPCI": "epci_siren", "COM": "code_insee"}
FAMILY_LABELS = vocab.TYPE_FAMILY.labels()
# Size bands of the Observatoire's reports (population totale).
SIZE_BANDS: tuple[tuple[int, int | None, str], ...] = (
    (0, 3_500, "moins de 3 500 hab."),
    (3_500, 10_000, "3 500 à 9 999 hab."),
    (10_000, 20_000, "10 000 à 19 999 hab."),
    (20_000, 50_000, "20 000 à 49 999 hab."),
    (50_000, 100_000, "50 000 à 99 999 hab."),
    (100_000, None, "100 000 hab. et plus"),
)


@dataclass(frozen=True)
class Territory:
    """A selected territory: ``level`` in LEVELS and its code ("" for France).

    Codes: région and département INSEE codes, the EPCI's SIREN, the commune's INSEE
    code. ``key`` is the text kept in the URL (``dep:31``), so a link reproduces a view.
    """

    level: str = "FR"
    code: str = ""

    @property
    def key(self) -> str:
        return "fr" if self.level == "FR" else f"{self.level.lower()}:{self.code}"

    @classmethod
    def parse(cls, text: str | None) -> Territory:
        """Read a URL key; anything unreadable means France (a bad link still opens)."""
        if not text or ":" not in text:
            return cls()
        level, _, code = text.partition(":")
        level = level.strip().upper()
        code = code.strip()
        if level not in LEVELS[1:] or not code or not code.replace(" ", "").isalnum():
            return cls()
        return cls(level, code.upper() if level == "DEP" else code)

    @classmethod
    def from_cli(cls, text: str, levels: tuple[str, ...] | None = None) -> Territory:
        """Read a command-line key; unlike a URL, a typo is an error (ValueError), not
        France. ``levels`` restricts the accepted levels (e.g. a harvest by territory)."""
        allowed = levels or LEVELS
        t = cls.parse(text)
        typo = t.level == "FR" and text.strip().lower() not in ("", "fr", "france")
        if typo or t.level not in allowed:
            keys = {"FR": "fr", "REG": "reg:76", "DEP": "dep:31", "EPCI": "epci:<siren>",
                    "COM": "com:<code insee>"}
            raise ValueError(f"territoire « {text} » invalide : attendu "
                             + ", ".join(keys[level] for level in allowed if level in keys))
        return t

    def __str__(self) -> str:
        return self.key


FRANCE = Territory()


def family(type_code: str) -> str:
    return TYPE_FAMILIES.get(type_code, type_code)


def filter_frame(df: pd.DataFrame, t: Territory) -> pd.DataFrame:
    """Rows of the collectivités within ``t`` (the territory's own collectivité included).

    A région holds its communes, EPCI, départements and itself; a département its communes,
    the EPCI whose seat is there and itself; an EPCI its member communes and itself.
    """
    if t.level == "FR" or df.empty:
        return df
    if t.level == "REG":
        mask = df["region"].eq(t.code) | governs(df, t)
    elif t.level == "DEP":
        mask = df["departement"].eq(t.code)
        # A département's own row may carry no département code of its own.
        mask |= df["type"].eq(vocab.TYPE_DEP) & df["code_insee"].eq(t.code)
        # The collectivité exerting its powers (CEA for 68, Corse for 2B, Paris for 75,
        # the Métropole de Lyon for part of 69), whatever its own seat.
        mask |= governs(df, t)
    elif t.level == "EPCI":
        mask = df["epci_siren"].eq(t.code) | df["siren"].eq(t.code)
        if "ept_siren" in df.columns:
            mask |= df["ept_siren"].eq(t.code)
    else:
        mask = df["type"].eq(vocab.TYPE_COM) & df["code_insee"].eq(t.code)
    return df[mask.fillna(False).astype(bool)]


def sirens_within(ref: pd.DataFrame, keys: tuple[str, ...] | list[str]) -> set[str]:
    """SIRENs of the collectivités within any of the territories ``keys`` (an editor's
    territories): a département's editor edits its communes, the EPCI whose seat is
    there and the département itself (``filter_frame``)."""
    found: set[str] = set()
    for key in keys:
        t = Territory.parse(key)
        if t.level == "FR":   # never widen: an unreadable key grants nothing
            continue
        found |= set(filter_frame(ref, t)["siren"].dropna().astype(str))
    return found
def governs(df: pd.DataFrame, t: Territory) -> pd.Series:
    """Rows of the collectivités exerting the powers of territory ``t`` (column
    ``territoires``: space-separated keys such as « dep:67 dep:68 »)."""
    if "territoires" not in df.columns or t.level == "FR":
        return pd.Series(False, index=df.index)
    padded = " " + df["territoires"].astype("object").fillna("").astype(str) + " "
    return padded.str.contains(f" {t.key} ", regex=False).fillna(False).astype(bool)


def with_governed_areas(df: pd.DataFrame, level: str) -> pd.DataFrame:
    """``df`` plus one more row per territory of ``level`` (REG, DEP) that a collectivité
    governs besides its own (the CEA again under 68, Corse under 2A and 2B), or (EPCI) per
    intercommunalité in its own area, with that territory in the level's column: for
    per-area figures that agree with each area's view. Totals above the areas must use
    ``df`` itself (each collectivité once)."""
    column = CHILD_COLUMN.get(level)
    if level == "EPCI" and not df.empty:
        return _with_own_epci(df)
    if level not in ("REG", "DEP") or "territoires" not in df.columns or df.empty:
        return df
    prefix = f"{level.lower()}:"
    # Only the few collectivités that govern a territory carry keys: look at those alone
    # (a loop over the 36,000 rows of France cost half a second on every page).
    governing = df["territoires"].astype("object")
    governing = governing[governing.notna() & governing.astype(str).str.contains(prefix,
                                                                                 regex=False)]
    keys = governing.astype(str).str.split()
    extra = []
    for idx, items in keys.items():
        own = df.at[idx, column]
        for key in items:
            if key.startswith(prefix) and key[len(prefix):] != own:
                extra.append((idx, key[len(prefix):]))
    if not extra:
        return df
    rows = df.loc[[i for i, _ in extra]].copy()
    rows[column] = [code for _, code in extra]
    return pd.concat([df, rows], ignore_index=True)


def _with_own_epci(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with each EPCI counted in its own area too (``filter_frame`` of an EPCI holds
    the EPCI itself): without it the overview's ranking of intercommunalités counted the
    member communes only and showed a CC at 100 % that its own report lists among the
    obliged that do not publish."""
    areas = set(df["epci_siren"].dropna().astype(str))
    own = df["siren"].astype(str).isin(areas) & df["epci_siren"].astype("object").ne(df["siren"])
    if not own.any():
        return df
    rows = df[own].copy()
    rows["epci_siren"] = rows["siren"]
    return pd.concat([df, rows], ignore_index=True)


def size_band(population: float | int | None) -> str | None:
    if population is None or pd.isna(population):
        return None
    for low, high, label in SIZE_BANDS:
        if population >= low and (high is None or population < high):
            return label
    return None



def _sorted_names(frame: pd.DataFrame, code_col: str) -> dict[str, str]:
    frame = frame.dropna(subset=[code_col]).drop_duplicates(code_col)
    # Folded: « Île-de-France » among the I, not after « Provence-Alpes-Côte d'Azur ».
    frame = frame.sort_values("nom", key=lambda s: s.astype(str).map(fmt.fold))
    return dict(zip(frame[code_col].astype(str), frame["nom"].astype(str), strict=True))


def children(ref: pd.DataFrame, territories: pd.DataFrame, level: str,
             lineage_codes: dict[str, str]) -> dict[str, str]:
    """Choices (code → name, by name) at ``level`` under the already chosen parents.

    ``ref`` holds the reference collectivités (``ref_collectivite`` of one vintage),
    ``territories`` the régions and départements (``ref_territoire``). An EPCI is listed
    under every département where it has member communes.
    """
    reg, dep, epci = (lineage_codes.get(k) for k in ("REG", "DEP", "EPCI"))
    if level == "REG":
        return _sorted_names(territories[territories["niveau"].eq("REG")], "code")
    if level == "DEP":
        deps = territories[territories["niveau"].eq("DEP")]
        if reg:
            deps = deps[deps["region"].eq(reg)]
        return _sorted_names(deps.sort_values("code"), "code")
    communes = ref[ref["type"].eq(vocab.TYPE_COM)]
    if dep:
        communes = communes[communes["departement"].eq(dep)]
    elif reg:
        communes = communes[communes["region"].eq(reg)]
    if level == "EPCI":
        if not (dep or reg):
            return {}
        epcis = ref[ref["type"].isin(EPCI_TYPES)]
        wanted = set(communes["epci_siren"].dropna()) | (
            set(communes["ept_siren"].dropna()) if "ept_siren" in communes.columns else set())
        return _sorted_names(epcis[epcis["siren"].isin(wanted)], "siren")
    if level == "COM":
        if epci:
            members = ref[ref["type"].eq(vocab.TYPE_COM)]
            mask = members["epci_siren"].eq(epci)
            if "ept_siren" in members.columns:
                mask |= members["ept_siren"].eq(epci)
            communes = members[mask.fillna(False).astype(bool)]
        elif not dep:
            return {}
        return _sorted_names(communes, "code_insee")
    return {}


def lineage(ref: pd.DataFrame, t: Territory) -> dict[str, str]:
    """The codes of ``t`` and of every level above it (``{"REG": "76", "DEP": "31", ...}``)."""
    out: dict[str, str] = {}
    if t.level == "FR":
        return out
    out[t.level] = t.code
    if t.level == "COM":
        row = ref[ref["type"].eq(vocab.TYPE_COM) & ref["code_insee"].eq(t.code)]
        if not row.empty:
            r = row.iloc[0]
            for level, col in (("DEP", "departement"), ("REG", "region"), ("EPCI", "epci_siren")):
                if pd.notna(r.get(col)):
                    out[level] = str(r[col])
    elif t.level == "EPCI":
        members = ref[ref["type"].eq(vocab.TYPE_COM) & ref["epci_siren"].eq(t.code)]
        if members.empty and "ept_siren" in ref.columns:
            members = ref[ref["type"].eq(vocab.TYPE_COM) & ref["ept_siren"].eq(t.code)]
        if not members.empty:
            # The département holding most member communes (an EPCI may span two).
            out["DEP"] = str(members["departement"].mode().iloc[0])
            out["REG"] = str(members["region"].mode().iloc[0])
    elif t.level == "DEP":
        row = ref[ref["departement"].eq(t.code)].dropna(subset=["region"])
        if not row.empty:
            out["REG"] = str(row["region"].iloc[0])
    return out


def name_of(ref: pd.DataFrame, territories: pd.DataFrame, t: Territory) -> str:
    """Display name of a territory ("France" when unknown, so a bad link still reads)."""
    if t.level in ("REG", "DEP"):
        row = territories[territories["niveau"].eq(t.level) & territories["code"].eq(t.code)]
    elif t.level == "EPCI":
        row = ref[ref["siren"].eq(t.code) & ref["type"].isin(EPCI_TYPES)]
    elif t.level == "COM":
        row = ref[ref["type"].eq(vocab.TYPE_COM) & ref["code_insee"].eq(t.code)]
    else:
        return "France"
    if row.empty:
        return f"{LEVEL_LABELS[t.level]} {t.code}"
    return str(row["nom"].iloc[0])
