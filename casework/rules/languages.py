"""Languages people speak, each shown in its own name (no translation needed).

Stored on a person as comma-separated codes in this list's order, e.g. ``fr,ht,es``.
ISO 639-1 codes where they exist; 639-3 for the two sign languages of the region.
"""

from __future__ import annotations

SPOKEN: dict[str, str] = {
    "fr": "Français",
    "en": "English",
    "es": "Español",
    "ar": "العربية",
    "pt": "Português",
    "ht": "Kreyòl ayisyen",
    "fa": "فارسی",
    "ur": "اردو",
    "ps": "پښتو",
    "ku": "Kurdî",
    "ta": "தமிழ்",
    "zh": "中文",
    "ru": "Русский",
    "uk": "Українська",
    "sw": "Kiswahili",
    "ln": "Lingála",
    "wo": "Wolof",
    "ti": "ትግርኛ",
    "am": "አማርኛ",
    "so": "Soomaali",
    "tl": "Tagalog",
    "hi": "हिन्दी",
    "bn": "বাংলা",
    "pa": "ਪੰਜਾਬੀ",
    "ne": "नेपाली",
    "vi": "Tiếng Việt",
    "ro": "Română",
    "it": "Italiano",
    "tr": "Türkçe",
    "fcs": "Langue des signes québécoise (LSQ)",
    "ase": "American Sign Language (ASL)",
}
# Written right to left: the page marks these so the browser lays them out properly.
RIGHT_TO_LEFT = frozenset({"ar", "fa", "ur", "ps"})


def parse(stored: str) -> list[str]:
    """The known codes in a stored value, in list order (unknown ones are dropped)."""
    chosen = set(stored.split(","))
    return [code for code in SPOKEN if code in chosen]


def serialise(chosen: list[str]) -> str:
    """Store the chosen codes compactly, in list order; unknown codes are refused."""
    unknown = set(chosen) - set(SPOKEN)
    if unknown:
        raise ValueError(f"unknown language codes: {sorted(unknown)}")
    return ",".join(code for code in SPOKEN if code in set(chosen))
