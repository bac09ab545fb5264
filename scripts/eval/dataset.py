"""What the data-set scripts share: a data set is a folder with manifest.tsv
(one row a file, tab-separated, with a header) and the files it names."""
import csv
import sys
from pathlib import Path


def rows_and_out(argv, usage):
    """(dataset, out, rows) from `SCRIPT DATASET OUT`; exits with a clear
    message when the manifest or a file it names is missing."""
    if len(argv) != 3:
        sys.exit(usage)
    dataset, out = Path(argv[1]).resolve(), Path(argv[2]).resolve()
    manifest = dataset / "manifest.tsv"
    if not manifest.is_file():
        sys.exit(f"{manifest}: no manifest")
    with manifest.open(newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    for row in rows:
        if not (dataset / row["file"]).is_file():
            sys.exit(f"{dataset / row['file']}: named in {manifest} but missing")
    return dataset, out, rows
