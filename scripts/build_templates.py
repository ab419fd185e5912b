"""Build data/templates/facilities_template.csv and facilities_template.xlsx, the bulk-import templates.

Why: county editors start from a file that already has the right headers, example rows that import
cleanly (flagged 示例数据), dropdowns for the controlled columns and an instructions sheet (说明) with the
allowed values and which coordinate system to choose. The content lives in
geo_service/interchange/template.py; this script only writes it. Deterministic: the same code always
gives the same bytes (tests/test_interchange_template.py checks the committed files). Run:

    python scripts/build_templates.py [--out data/templates]
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Final

from geo_service.interchange import template

ROOT: Final = Path(__file__).resolve().parents[1]
CSV_NAME: Final = "facilities_template.csv"
XLSX_NAME: Final = "facilities_template.xlsx"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "data" / "templates")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / CSV_NAME).write_bytes(template.build_csv())
    (args.out / XLSX_NAME).write_bytes(template.build_xlsx())
    print(f"wrote {args.out / CSV_NAME} and {args.out / XLSX_NAME}")


if __name__ == "__main__":
    main()
