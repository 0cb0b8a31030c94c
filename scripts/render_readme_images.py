"""Draw the diagrams the README shows, into docs/images/ (never edit those PNGs by hand).

    .venv/bin/python scripts/render_readme_images.py

Needs graphviz's `dot`. Each image is what `archspec render` draws with the options listed in IMAGES.
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import archspec  # noqa: E402

IMAGES = [  # (file under docs/images, spec under specs/, archspec.render arguments)
    ("inception_v4_network.png", "inception_v4.yaml", {"level": "network"}),
    ("inception_v4_blocks.png", "inception_v4.yaml", {"level": "block"}),
]


def main() -> None:
    out = ROOT / "docs" / "images"
    out.mkdir(parents=True, exist_ok=True)
    for name, spec, arguments in IMAGES:
        path = archspec.render(ROOT / "specs" / spec, **arguments).write(out / name)
        print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
