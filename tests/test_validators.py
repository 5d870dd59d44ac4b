from hypothesis import given
from hypothesis import strategies as st

from accounts.validators import (
    CREDIT_CODE_CHARS,
    credit_code_check_char,
    is_valid_credit_code,
    mask_phone,
    password_problems,
)

first17 = st.text(alphabet=CREDIT_CODE_CHARS, min_size=17, max_size=17)


def test_the_standard_example_passes_the_check_digit():
    # The worked example of GB 32100-2015.
    assert is_valid_credit_code("91350100M000100Y43")


def test_lower_case_and_surrounding_spaces_are_accepted():
    assert is_valid_credit_code(" 91350100m000100y43 ")


@given(first17)
def test_a_code_with_its_computed_check_character_is_valid(body):
    assert is_valid_credit_code(body + credit_code_check_char(body))


@given(first17, st.sampled_from(CREDIT_CODE_CHARS))
def test_any_other_check_character_is_refused(body, wrong):
    if wrong != credit_code_check_char(body):
        assert not is_valid_credit_code(body + wrong)


@given(first17, st.integers(min_value=0, max_value=16), st.sampled_from(CREDIT_CODE_CHARS))
def test_a_single_changed_character_is_caught(body, position, replacement):
    code = body + credit_code_check_char(body)
    changed = code[:position] + replacement + code[position + 1 :]
    if changed != code:
        assert not is_valid_credit_code(changed)


def test_codes_with_forbidden_letters_or_wrong_length_are_refused():
    assert not is_valid_credit_code("91350100M000100Y4")  # 17 characters
    assert not is_valid_credit_code("91350100M000100I43")  # I is not in the alphabet
    assert not is_valid_credit_code("")


def test_password_policy_needs_length_and_three_classes():
    assert password_problems("Abcdef1!") == []
    assert password_problems("abcdef12") != []  # two classes only
    assert password_problems("Ab1!") != []  # too short
    assert password_problems("Zhang-San-2026", username="zhang") != []  # contains the username


def test_phone_numbers_are_masked_in_lists():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone(None) == ""
