"""AAPOR final dispositions and outcome rates (AAPOR Standard Definitions)."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

import numpy as np

from ._common import warn_degenerate

__all__ = ["DispositionCounts", "ResponseRates", "disposition_counts", "response_rates"]

_GROUPS = ("I", "P", "R", "NC", "O", "UH", "UO", "NE")
_CODE = re.compile(r"^(1\.[12]|2\.[123]\d|[34]\.\d\d)$")


@dataclass(frozen=True)
class DispositionCounts:
    """Cases per AAPOR outcome group; ``response_rates(**counts.as_dict())`` rates them."""

    I: int  # noqa: E741  (AAPOR's own name)
    P: int
    R: int
    NC: int
    O: int  # noqa: E741
    UH: int
    UO: int
    NE: int

    def as_dict(self) -> dict[str, int]:
        """The counts as ``{"I": ..., ..., "NE": ...}``."""
        return asdict(self)


def _group(code: str) -> str:
    if code == "1.1":
        return "I"
    if code == "1.2":
        return "P"
    if code[0] == "2":
        return {"1": "R", "2": "NC", "3": "O"}[code[2]]
    if code[0] == "3":
        return "UH" if code[2] == "1" else "UO"
    return "NE"


def disposition_counts(codes) -> DispositionCounts:
    """Count final AAPOR disposition codes by outcome group.

    Mapping (AAPOR Standard Definitions, tables 1-4): ``1.1`` complete -> I;
    ``1.2`` partial -> P; ``2.1x`` refusal and break-off -> R; ``2.2x``
    non-contact -> NC; ``2.3x`` other eligible non-interview -> O; ``3.1x``
    (nothing known about the case: not attempted, always busy, no answer,
    answering machine, unable to locate) -> UH; ``3.2x`` to ``3.9x`` (case
    reached but eligibility unknown, e.g. 3.90 maximum attempts) -> UO;
    ``4.x`` not eligible -> NE.  On a list of named clients almost every
    unknown is ``3.1x``, hence UH.

    Parameters
    ----------
    codes : iterable of str
        Final codes such as ``"1.1"``, ``"2.11"``, ``"3.90"``, ``"4.10"``.

    Examples
    --------
    >>> import analysis
    >>> analysis.disposition_counts(["1.1", "1.1", "2.11", "3.13", "4.32"]).as_dict()
    {'I': 2, 'P': 0, 'R': 1, 'NC': 0, 'O': 0, 'UH': 1, 'UO': 0, 'NE': 1}
    """
    arr = np.asarray(list(codes) if not isinstance(codes, np.ndarray) else codes)
    if arr.size == 0:
        return DispositionCounts(0, 0, 0, 0, 0, 0, 0, 0)
    if arr.dtype.kind not in "UO":
        raise TypeError(
            f"codes must be strings such as '2.11' (a float cannot tell 2.1 from 2.10), but got dtype {arr.dtype}"
        )
    uniques, counts = np.unique(np.char.strip(arr.astype(str).reshape(-1)), return_counts=True)
    totals = dict.fromkeys(_GROUPS, 0)
    for code, count in zip(uniques.tolist(), counts.tolist(), strict=True):
        if not _CODE.match(code):
            raise ValueError(
                f"codes must be AAPOR final codes like '1.1', '2.11', '3.90', '4.10', but got {code!r}"
            )
        totals[_group(code)] += count
    return DispositionCounts(**totals)


@dataclass(frozen=True, eq=False)
class ResponseRates:
    """AAPOR outcome rates; floats, or arrays when the counts were arrays.

    A rate whose denominator is zero is nan (undefined), never 0.  ``e`` is
    the eligible share assumed for unknown-eligibility cases and ``e_basis``
    says where it came from.
    """

    RR1: float
    RR2: float
    RR3: float
    RR4: float
    RR5: float
    RR6: float
    COOP1: float
    COOP2: float
    COOP3: float
    COOP4: float
    REF1: float
    REF2: float
    REF3: float
    CON1: float
    CON2: float
    CON3: float
    e: float
    e_basis: str
    counts: dict = field(repr=False)


def response_rates(I, P, R, NC, O, UH, UO, e=None, *, NE=0, e_basis=None) -> ResponseRates:  # noqa: E741
    r"""Response, cooperation, refusal and contact rates (AAPOR Standard Definitions).

    With :math:`E = (I+P)+(R+NC+O)`, :math:`U = UH+UO`:

    - RR1 = I/(E+U), RR2 = (I+P)/(E+U), RR3 = I/(E+eU), RR4 = (I+P)/(E+eU),
      RR5 = I/E, RR6 = (I+P)/E;
    - COOP1 = I/((I+P)+R+O), COOP2 = (I+P)/((I+P)+R+O), COOP3 = I/((I+P)+R),
      COOP4 = (I+P)/((I+P)+R);
    - REF1 = R/(E+U), REF2 = R/(E+eU), REF3 = R/E;
    - CON1 = ((I+P)+R+O)/(E+U), CON2 = same/(E+eU), CON3 = same/E.

    ``e`` defaults to the proportional estimate :math:`E/(E+NE)`; give ``NE``
    (not-eligible cases) for it.  Without ``NE`` (0) that is e = 1: every
    unknown case counts as eligible and RR3 = RR1, the conservative choice.
    A term ``e U`` with U = 0 is 0.  ``e_basis`` (keyword) overrides the
    recorded description of where e came from.
    Counts may be arrays (e.g. one entry per tier); rates are then arrays.

    Examples
    --------
    >>> import analysis
    >>> rates = analysis.response_rates(I=60, P=10, R=15, NC=10, O=5, UH=20, UO=0, NE=25)
    >>> round(rates.RR1, 4), rates.e          # 60 / 120; e = 100 / 125
    (0.5, 0.8)
    """
    counts = {"I": I, "P": P, "R": R, "NC": NC, "O": O, "UH": UH, "UO": UO, "NE": NE}
    arr = {}
    for name, value in counts.items():
        a = np.asarray(value, dtype=float)
        if np.isnan(a).any() or (a < 0).any() or np.isinf(a).any():
            raise ValueError(f"{name} must be a non-negative count, but got {value!r}")
        arr[name] = a
    ip = arr["I"] + arr["P"]
    eligible = ip + arr["R"] + arr["NC"] + arr["O"]
    unknown = arr["UH"] + arr["UO"]
    with np.errstate(divide="ignore", invalid="ignore"):
        if e is None:
            e_val = eligible / (eligible + arr["NE"])
            basis = "proportional: e = (I+P+R+NC+O) / (I+P+R+NC+O+NE)"
            if np.ndim(eligible) == 0 and np.ndim(arr["NE"]) == 0:
                basis += f" = {eligible:g} / {eligible + arr['NE']:g}"
            basis = e_basis or basis
        else:
            e_val = np.asarray(e, dtype=float)
            if np.isnan(e_val).any() or (e_val < 0).any() or (e_val > 1).any():
                raise ValueError(f"e must lie in [0, 1], but got {e!r}")
            basis = e_basis or "given"
        e_unknown = np.where(unknown > 0, e_val * unknown, 0.0)
        contact = ip + arr["R"] + arr["O"]
        den = {
            "all": eligible + unknown,
            "e": eligible + e_unknown,
            "known": eligible,
            "coop": ip + arr["R"] + arr["O"],
            "coop_r": ip + arr["R"],
        }
        spec = {
            "RR1": (arr["I"], "all"),
            "RR2": (ip, "all"),
            "RR3": (arr["I"], "e"),
            "RR4": (ip, "e"),
            "RR5": (arr["I"], "known"),
            "RR6": (ip, "known"),
            "COOP1": (arr["I"], "coop"),
            "COOP2": (ip, "coop"),
            "COOP3": (arr["I"], "coop_r"),
            "COOP4": (ip, "coop_r"),
            "REF1": (arr["R"], "all"),
            "REF2": (arr["R"], "e"),
            "REF3": (arr["R"], "known"),
            "CON1": (contact, "all"),
            "CON2": (contact, "e"),
            "CON3": (contact, "known"),
        }
        rates = {
            k: np.where(den[d] > 0, num / np.where(den[d] > 0, den[d], 1.0), np.nan)
            for k, (num, d) in spec.items()
        }
    undefined = [k for k, v in rates.items() if np.isnan(v).any()]
    if undefined:
        warn_degenerate(f"rates {undefined} are undefined (zero denominator) and set to nan")
    scalar = all(np.ndim(v) == 0 for v in arr.values()) and np.ndim(e_val) == 0
    fix = float if scalar else np.asarray
    return ResponseRates(
        **{k: fix(v) for k, v in rates.items()}, e=fix(e_val), e_basis=basis, counts=counts
    )
