"""Trial ids: short, and unable to spell a word (one run produced an obscene one)."""

from __future__ import annotations

from autolab.experiments import TRIAL_ID_ALPHABET, new_trial_id


def test_trial_ids_have_no_vowels_nor_digits_read_as_vowels() -> None:
    assert not set(TRIAL_ID_ALPHABET) & set("aeiouyAEIOUY0134")
    ids = {new_trial_id() for _ in range(2000)}
    assert not [i for i in ids if set(i) & set("aeiouyAEIOUY0134")]
    assert all(len(i) == 5 and set(i) <= set(TRIAL_ID_ALPHABET) for i in ids)
    assert len(ids) > 1990  # 26**5 ids: a collision now and then, which the callers draw again for


def test_trial_ids_are_lower_case_so_folders_differ_on_any_file_system() -> None:
    assert TRIAL_ID_ALPHABET == TRIAL_ID_ALPHABET.lower()
