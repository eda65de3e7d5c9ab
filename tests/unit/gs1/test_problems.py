"""Every problem code, reported per field and never as an exception."""

import pytest

import services.gs1.parse as parse_module
from services.gs1 import PackIdentifier, parse_code

pytestmark = pytest.mark.unit

GS = "\x1d"
GTIN = "09506000134352"
SSCC = "106141412345678908"


@pytest.mark.parametrize(
    ("text", "field", "code"),
    [
        ("", "code", "EMPTY"),
        ("   \r\n", "code", "EMPTY"),
        ("]d2", "code", "EMPTY"),
        ("]d2\r\n", "code", "EMPTY"),
        ("hello", "code", "UNRECOGNISED_FORMAT"),
        ("]", "code", "UNRECOGNISED_FORMAT"),
        ("]_1" + GTIN, "code", "UNRECOGNISED_FORMAT"),
        ("(x)123", "code", "UNRECOGNISED_FORMAT"),
        ("ABC(01)" + GTIN, "code", "UNRECOGNISED_FORMAT"),
        ("https://example.com/products/123", "code", "UNRECOGNISED_FORMAT"),
        ("https://[broken/01/" + GTIN, "code", "UNRECOGNISED_FORMAT"),
        ("x" * 5000, "code", "INVALID_LENGTH"),
        # check digits
        ("0109506000134353", "gtin", "INVALID_CHECK_DIGIT"),
        ("09506000134353", "gtin", "INVALID_CHECK_DIGIT"),
        ("9506000134353", "gtin", "INVALID_CHECK_DIGIT"),
        ("(01)09506000134353", "gtin", "INVALID_CHECK_DIGIT"),
        ("https://id.gs1.org/01/9506000134353", "gtin", "INVALID_CHECK_DIGIT"),
        ("00106141412345678909", "sscc", "INVALID_CHECK_DIGIT"),
        # lengths
        ("(01)9506000134352", "gtin", "INVALID_LENGTH"),
        ("(01)(10)ABC", "gtin", "INVALID_LENGTH"),
        (f"01{GTIN}10{'A' * 21}", "lot", "INVALID_LENGTH"),
        (f"01{GTIN}21{'A' * 21}", "serial", "INVALID_LENGTH"),
        (f"01{GTIN}10{GS}21XYZ", "lot", "INVALID_LENGTH"),
        (f"0109506{GS}10ABC", "gtin", "INVALID_LENGTH"),
        (f"(01){GTIN}(17)2612", "expiry", "INVALID_LENGTH"),
        (f"https://id.gs1.org/01/{GTIN}/21/{'S' * 21}", "serial", "INVALID_LENGTH"),
        ("https://id.gs1.org/01/123456789/21/S", "gtin", "INVALID_LENGTH"),
        (f"(01){GTIN}(710)", "national_number", "INVALID_LENGTH"),
        # characters
        (f"(01){GTIN}(10)AB C", "lot", "INVALID_CHARACTERS"),
        (f"(01){GTIN}(21)Straße", "serial", "INVALID_CHARACTERS"),
        (f"01{GTIN}21AB#C", "serial", "INVALID_CHARACTERS"),
        ("(01)0950600013435X", "gtin", "INVALID_CHARACTERS"),
        ("(01)٠٩٥٠٦٠٠٠١٣٤٣٥٢", "gtin", "INVALID_CHARACTERS"),
        (f"(01){GTIN}(17)26AB31", "expiry", "INVALID_CHARACTERS"),
        (f"https://id.gs1.org/01/{GTIN}/21/A%ZZ", "serial", "INVALID_CHARACTERS"),
        (f"https://id.gs1.org/01/{GTIN}/21/A%20B", "serial", "INVALID_CHARACTERS"),
        (f"https://id.gs1.org/01/{GTIN}/21/A%FF", "serial", "INVALID_CHARACTERS"),
        # dates
        (f"01{GTIN}17261301", "expiry", "INVALID_DATE"),
        (f"01{GTIN}17260001", "expiry", "INVALID_DATE"),
        (f"01{GTIN}17260230", "expiry", "INVALID_DATE"),
        (f"01{GTIN}17260431", "expiry", "INVALID_DATE"),
        (f"(01){GTIN}(17)270229", "expiry", "INVALID_DATE"),  # 2027 is not a leap year
        (f"https://id.gs1.org/01/{GTIN}?17=261332", "expiry", "INVALID_DATE"),
        # unknown AIs
        (f"01{GTIN}2399", "code", "UNKNOWN_AI"),
        (f"01{GTIN}ABC", "code", "UNKNOWN_AI"),
        (f"(01){GTIN}(2399)1", "code", "UNKNOWN_AI"),
        (f"https://id.gs1.org/01/{GTIN}/99x/ABC", "code", "UNKNOWN_AI"),
        (f"https://id.gs1.org/01/{GTIN}?2399=1", "code", "UNKNOWN_AI"),
        (f"(01){GTIN}(4999)ABC", "code", "UNKNOWN_AI"),
        # duplicates
        (f"01{GTIN}10ABC{GS}10DEF", "lot", "DUPLICATE_AI"),
        (f"(01){GTIN}(21)A(21)B", "serial", "DUPLICATE_AI"),
        (f"(01){GTIN}(01)00000096385074", "gtin", "DUPLICATE_AI"),
        (f"https://id.gs1.org/01/{GTIN}/10/ABC?10=DEF", "lot", "DUPLICATE_AI"),
        (f"(01){GTIN}(710)A(711)B", "national_number", "DUPLICATE_AI"),
        # truncated
        ("010950600013435", "gtin", "TRUNCATED"),
        ("]d20109506000134", "gtin", "TRUNCATED"),
        (f"01{GTIN}1726", "expiry", "TRUNCATED"),
        (f"01{GTIN}10", "lot", "TRUNCATED"),
        (f"01{GTIN}1", "code", "TRUNCATED"),
        (f"01{GTIN}71", "code", "TRUNCATED"),
        (f"https://id.gs1.org/01/{GTIN}/10", "lot", "TRUNCATED"),
        ("https://id.gs1.org/01", "gtin", "TRUNCATED"),
        # no primary key
        ("10ABC", "gtin", "MISSING_GTIN"),
        ("(10)ABC(21)XYZ", "gtin", "MISSING_GTIN"),
        ("1726123110ABC", "gtin", "MISSING_GTIN"),
        ("]d217261231", "gtin", "MISSING_GTIN"),
        ("https://id.gs1.org/10/ABC/21/XYZ", "gtin", "MISSING_GTIN"),
        ("https://example.com/shop?10=ABC", "gtin", "MISSING_GTIN"),
        # dropped group separator, ambiguous
        (f"01{GTIN}10ABC21XYZ", "lot", "MISSING_SEPARATOR"),
        (f"01{GTIN}10ABC21XYZ", "serial", "MISSING_SEPARATOR"),
        (f"01{GTIN}10A17261231", "expiry", "MISSING_SEPARATOR"),
        # a GS1 field we do not keep, broken
        (f"01{GTIN}11251301", "code", "INVALID_VALUE"),
        (f"(01){GTIN}(30)ABC", "code", "INVALID_VALUE"),
    ],
)
def test_problem(text: str, field: str, code: str) -> None:
    result = parse_code(text)
    assert (field, code) in [(p.field, p.code) for p in result.problems], result.problems
    assert not result.ok
    assert result.raw == text
    for problem in result.problems:
        assert problem.message.endswith((".", ")"))
        assert problem.message[0].isupper() or problem.message[0] in "(]"


def test_problems_are_reported_for_every_broken_field() -> None:
    result = parse_code(f"(01)09506000134353(17)261399(10)A B(21){'S' * 25}")
    assert [(p.field, p.code) for p in result.problems] == [
        ("gtin", "INVALID_CHECK_DIGIT"),
        ("expiry", "INVALID_DATE"),
        ("lot", "INVALID_CHARACTERS"),
        ("serial", "INVALID_LENGTH"),
    ]
    assert result.identifier is None


def test_valid_fields_survive_next_to_broken_ones() -> None:
    result = parse_code(f"(01){GTIN}(17)261399(10)ABC(21)XYZ")
    assert [(p.field, p.code) for p in result.problems] == [("expiry", "INVALID_DATE")]
    assert result.identifier == PackIdentifier(gtin=GTIN, lot="ABC", serial="XYZ")
    assert not result.ok


def test_ambiguous_split_keeps_only_the_fields_all_readings_agree_on() -> None:
    result = parse_code(f"01{GTIN}1726123110ABC21XYZ")
    assert result.identifier == PackIdentifier(gtin=GTIN, expiry_raw="261231")
    assert {p.field for p in result.problems} == {"lot", "serial"}
    assert "separator" in result.problems[0].message


def test_check_digit_message_names_the_expected_digit() -> None:
    (problem,) = parse_code("0109506000134353").problems
    assert "should be 2" in problem.message


def test_repeating_an_ai_with_the_same_value_is_tolerated() -> None:
    result = parse_code(f"01{GTIN}10ABC{GS}10ABC")
    assert result.ok
    assert result.identifier == PackIdentifier(gtin=GTIN, lot="ABC")


def test_sscc_without_gtin_is_fine_but_both_missing_is_not() -> None:
    assert parse_code(f"00{SSCC}").ok
    assert not parse_code("(10)ABC").ok


def test_lone_closing_bracket_does_not_crash() -> None:
    # biip's own SymbologyIdentifier.extract raises IndexError here.
    assert parse_code("]").problems[0].code == "UNRECOGNISED_FORMAT"


def test_internal_errors_are_reported_not_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(text: str) -> object:
        raise RuntimeError(text)

    monkeypatch.setattr(parse_module, "_read", explode)
    result = parse_code("0109506000134352")
    assert [(p.field, p.code) for p in result.problems] == [("code", "INTERNAL_ERROR")]
    assert result.identifier is None
    assert not result.ok
