"""``make check``'s dependency audit: pip-audit over the pinned requirements (requirements/*.txt, exact pins, no
resolution), failing on any known vulnerability.

pip-audit asks an advisory source over the network (the PyPI JSON API, else OSV). When neither can be reached it
either fails with a connection error or, behind a package mirror that doesn't serve PyPI's JSON API, answers "no
known vulnerabilities" while having skipped every package as "not found on PyPI". Both mean nothing was audited:
this prints a warning saying so and lets ``make check`` go on, instead of failing offline or passing silently."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REQUIREMENTS = ["requirements/base.txt", "requirements/dev.txt", "requirements/prod.txt"]
SERVICES = ["pypi", "osv"]


def audit(service: str) -> dict | None:
    """pip-audit's JSON report from ``service``, or None when the service could not be reached."""
    command = [
        str(Path(sys.executable).parent / "pip-audit"),
        "--no-deps",
        "--disable-pip",
        "--progress-spinner",
        "off",
    ]
    command += ["-f", "json", "-s", service]
    for requirements in REQUIREMENTS:
        command += ["-r", requirements]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)  # noqa: S603
    try:
        report = json.loads(result.stdout)
    except ValueError:
        return None  # pip-audit stopped before reporting (unreachable service)
    audited = [d for d in report.get("dependencies", []) if "skip_reason" not in d]
    return report if audited else None


def main() -> int:
    for service in SERVICES:
        report = audit(service)
        if report is not None:
            break
    else:
        print(
            "WARNING: pip-audit skipped: no advisory source reachable (PyPI JSON API, OSV); "
            "the pinned requirements were NOT audited for known vulnerabilities.",
            file=sys.stderr,
        )
        return 0
    dependencies = report["dependencies"]
    vulnerable = [d for d in dependencies if d.get("vulns")]
    skipped = [d["name"] for d in dependencies if "skip_reason" in d]
    for dependency in vulnerable:
        for vuln in dependency["vulns"]:
            fixed = ", ".join(vuln.get("fix_versions", [])) or "no fix yet"
            print(f"{dependency['name']} {dependency['version']}: {vuln['id']} (fixed in {fixed})")
    if skipped:
        print(f"WARNING: pip-audit could not audit: {', '.join(skipped)}", file=sys.stderr)
    print(
        f"pip-audit ({service}): {len(dependencies) - len(skipped)} pinned packages audited, {len(vulnerable)} vulnerable"
    )
    return 1 if vulnerable else 0


if __name__ == "__main__":
    sys.exit(main())
