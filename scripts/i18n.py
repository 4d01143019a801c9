"""The translation catalogues (``locale/<lang>/LC_MESSAGES/django.po``) with nothing but Python and Babel.

    python scripts/i18n.py languages   # the shipped languages to translate (settings.LANGUAGES but the default)
    python scripts/i18n.py compile     # every .po → .mo (what `make test` and `make run` do first)
    python scripts/i18n.py check       # CI: fails on a missing catalogue, a missing or fuzzy translation, or
                                       # a translation whose %(placeholders)s differ from the English

GNU gettext is needed only to *extract* messages (``make messages`` runs Django's makemessages); compiling and
checking use Babel, so a fresh machine, CI included, needs no system package. Settings are read with ``ast``
(importing them would start the embedded database)."""

import ast
import re
import sys
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "locale"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def _setting(name: str):
    tree = ast.parse((ROOT / "config" / "settings.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == name for t in node.targets):
            return node.value
    raise SystemExit(f"{name} not found in config/settings.py")


def languages() -> list[str]:
    """The codes of settings.LANGUAGES except LANGUAGE_CODE (whose text is the source)."""
    default = ast.literal_eval(_setting("LANGUAGE_CODE"))
    codes = [ast.literal_eval(item.elts[0]) for item in _setting("LANGUAGES").elts]
    return [code for code in codes if code != default]


def catalogue(code: str) -> Path:
    return LOCALE / code.replace("-", "_") / "LC_MESSAGES" / "django.po"


def compile_all(root: Path = LOCALE) -> int:
    count = 0
    for po in sorted(root.glob("*/LC_MESSAGES/*.po")):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as f:
            catalog = read_po(f, locale=po.parent.parent.name)
        with mo.open("wb") as f:
            write_mo(f, catalog, use_fuzzy=False)  # a fuzzy entry is not a translation: English shows instead
        count += 1
    return count


def problems(po: Path) -> list[str]:
    """What keeps this catalogue from shipping, one line each."""
    if not po.exists():
        return [f"{po.relative_to(ROOT) if po.is_relative_to(ROOT) else po}: missing (run `make messages`)"]
    with po.open("rb") as f:
        catalog = read_po(f)
    found = []
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple | list) else (message.id,)
        strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
        where = f"{po.name}:{message.lineno} {ids[0]!r}"
        if message.fuzzy:
            found.append(f"{where}: fuzzy (check the translation, then remove the fuzzy flag)")
        elif not all(strings) or len([s for s in strings if s]) < catalog.num_plurals and len(ids) > 1:
            found.append(f"{where}: not translated")
        else:
            wanted = set(PLACEHOLDER.findall(" ".join(ids)))
            for string in strings:
                if set(PLACEHOLDER.findall(string)) - wanted:
                    found.append(f"{where}: unknown placeholder in {string!r}")
    return [f"{po.parent.parent.name}/{line}" for line in found]


def check(paths: list[Path] | None = None) -> int:
    paths = paths or [catalogue(code) for code in languages()]
    found = [line for po in paths for line in problems(po)]
    for line in found:
        print(line)
    print(f"{len(found)} translation problem(s) in {len(paths)} catalogue(s)" if found else "translations complete")
    return 1 if found else 0


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "check"
    if command == "languages":
        print(" ".join(languages()))
        return 0
    if command == "compile":
        print(f"compiled {compile_all()} catalogue(s)")
        return 0
    if command == "check":
        return check([Path(p) for p in argv[2:]] or None)
    raise SystemExit(__doc__)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
