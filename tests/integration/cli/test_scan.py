"""`pharmatrace scan IMAGE...`: photos of pack labels decoded with zxing-cpp and verified."""

from __future__ import annotations

import io
import json
from datetime import date
from pathlib import Path

from PIL import Image, ImageFilter

from services.gs1 import PackIdentifier
from services.labels import digital_link_qr, render_pack_label
from tests.integration.cli.conftest import EXPIRY, Chain, Cli, ok


def pack(chain: Chain, serial: str) -> PackIdentifier:
    return PackIdentifier(
        gtin=chain.gtin, lot=chain.lot, serial=serial, expiry=date.fromisoformat(EXPIRY)
    )


def label_photo(chain: Chain, serial: str, path: Path) -> Path:
    """A pack label as a slightly blurred, rotated greyscale photo on a grey table."""
    png = render_pack_label(pack(chain, serial), product_name="Amoxicillin")
    label = Image.open(io.BytesIO(png)).convert("L")
    photo = Image.new("L", (label.width + 200, label.height + 200), 170)
    photo.paste(label, (100, 100))
    photo = photo.rotate(4, fillcolor=170, expand=True).filter(ImageFilter.GaussianBlur(0.8))
    photo.save(path, format="JPEG", quality=90)
    return path


def verdicts(output: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


def test_given_photos_of_labels_when_scanned_then_each_pack_is_verified_from_its_datamatrix(
    cli: Cli, chain: Chain, tmp_path: Path
) -> None:
    first = label_photo(chain, chain.serials[1], tmp_path / "first.jpg")
    second = label_photo(chain, chain.serials[2], tmp_path / "second.jpg")

    shown = ok(cli("scan", str(first), str(second), "--as", "PharmacyAMSP"))
    assert shown.stdout.count("GREEN · OK") == 2
    assert "read its DataMatrix" in shown.stdout

    answers = verdicts(ok(cli("scan", str(first), "--as", "PharmacyBMSP", "--json")).stdout)
    assert [(a["symbol"], a["result"], a["light"]) for a in answers] == [
        ("DataMatrix", "NOT_IN_CUSTODY", "red")
    ]
    assert answers[0]["identifier"]["serial"] == chain.serials[1]  # type: ignore[index]


def test_given_a_photo_of_the_qr_alone_when_scanned_then_the_digital_link_is_verified(
    cli: Cli, chain: Chain, tmp_path: Path
) -> None:
    qr = tmp_path / "qr.png"
    symbol = digital_link_qr(pack(chain, chain.serials[3])).image(module=6).convert("L")
    photo = Image.new("L", (symbol.width + 60, symbol.height + 60), 255)  # its quiet zone
    photo.paste(symbol, (30, 30))
    photo.save(qr)
    answers = verdicts(ok(cli("scan", str(qr), "--as", "PharmacyAMSP", "--json")).stdout)
    assert [(a["symbol"], a["result"]) for a in answers] == [("QR code", "OK")]


def test_given_unreadable_images_when_scanned_then_amber_and_the_others_still_verified(
    cli: Cli, chain: Chain, tmp_path: Path
) -> None:
    blank = tmp_path / "blank.png"
    Image.new("L", (400, 300), 255).save(blank)
    not_an_image = tmp_path / "notes.png"
    not_an_image.write_text("this is not a picture")
    good = label_photo(chain, chain.serials[4], tmp_path / "good.jpg")

    result = cli(
        "scan", str(blank), str(not_an_image), str(tmp_path / "missing.png"), str(good),
        "--as", "PharmacyAMSP",
    )  # fmt: skip
    assert result.exit_code == 2, result.output
    assert result.stdout.count("UNREADABLE_IMAGE") == 3
    assert "No DataMatrix or QR code could be read in blank.png" in result.stdout
    assert "it is not a readable image" in result.stdout
    assert "the file does not exist" in result.stdout
    assert "GREEN · OK" in result.stdout
    assert result.exception is None or isinstance(result.exception, SystemExit)
