"""Record dlib's five landmark parts for a few held-out dev photos (development tool).

The alignment test compares serving chips with dlib-made chips without needing dlib at
test time; this writes the dlib side once into tests/data/dlib_parts.json. Usage:
    python tools/record_dlib_parts.py PREDICTOR.dat ../shared/data tests/data/dlib_parts.json
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from app.training.data import list_photos, split_photos
from tools.fit_mtcnn_template import DATA_SETS, dlib_parts, read

PER_DATA_SET = 7


def main(predictor: Path, data_root: Path, out: Path) -> None:
    parts_of = dlib_parts(predictor)
    rows = []
    for name in DATA_SETS:
        seen: set[str] = set()
        for photo in split_photos(list_photos(data_root / name))[1]:  # validation identities only
            if photo.identity in seen or len(seen) == PER_DATA_SET:
                continue
            parts = parts_of(read(photo))
            if parts is not None:
                seen.add(photo.identity)
                rows.append({"photo": f"{name}/{photo.path.parent.name}/{photo.path.name}",
                             "dlib_parts": parts.tolist()})
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"what": "dlib HOG (1 upsampling) + shape_predictor_5_face_landmarks parts of the "
                               "largest face, photo pixels (dlib convention: pixel centres at integers)",
                               "made_by": "tools/record_dlib_parts.py", "photos": rows}, indent=1) + "\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]))
