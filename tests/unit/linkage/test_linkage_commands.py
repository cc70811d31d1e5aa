"""The offline command and the evaluation run the engine end to end."""

import collections
import json
import random
from datetime import date

import pytest

from ivdb.commands import evaluate_linkage, link
from ivdb.evaluation.metrics import pairwise_scores
from ivdb.evaluation.synthetic import (
    ALBANIAN,
    ROMA,
    ROMANIAN,
    RUSSIAN_FORMS,
    SERBIAN,
    generate,
    initial,
    passport_latin,
    russian_patronymic,
    serbian_ending,
    to_cyrillic,
    typo,
)

RECORDS = [
    {"id": "kp-1", "identity": {"given_name": "Arbër", "family_name": "Krasniqi", "father_name": "Ilir",
                                "date_of_birth": "2007-04-12", "place_of_birth": "Prizren"},
     "statistical": {"sex": "female", "age_at_identification": 17, "identification_date": "2025-03-01"}},
    {"identity": {"given_name": "Арбер", "family_name": "Красники", "father_name": "Илир",
                  "date_of_birth": "12.04.2007"}, "statistical": {"sex": "female"}},
    {"id": "csw-9", "identity": {"given_name": "Drita", "family_name": "Krasniqi", "father_name": "Ilir",
                                 "date_of_birth": "2009-09-03", "place_of_birth": "Prizren"}},
]


def test_ivdb_link_writes_one_person_per_record(tmp_path, capsys):
    source, target = tmp_path / "records.jsonl", tmp_path / "persons.jsonl"
    source.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in RECORDS) + "\n\n", encoding="utf-8")

    assert link.main([str(source), "--output", str(target)]) == 0

    lines = [json.loads(line) for line in target.read_text().splitlines()]
    assert [line["id"] for line in lines] == ["kp-1", "2", "csw-9"]
    persons = {line["id"]: line["person_id"] for line in lines}
    assert persons["kp-1"] == persons["2"] != persons["csw-9"]
    summary = capsys.readouterr().err
    assert "Krasniqi" not in summary and "Arb" not in summary


@pytest.mark.parametrize("broken_line, problem", [
    ('{"id": "b", "identity": {"given_name": "Drita"', "line 2 is not valid JSON"),
    ('["Drita", "Krasniqi"]', "line 2 is not a JSON object"),
    ('{"id": "b", "identity": "Drita Krasniqi"}', "line 2: identity is not a JSON object"),
    ('{"id": "b", "statistical": ["female"]}', "line 2: statistical is not a JSON object"),
])
def test_ivdb_link_names_the_line_that_is_not_a_record_and_leaves_the_output_as_it_was(
        tmp_path, capsys, broken_line, problem):
    source, target = tmp_path / "broken.jsonl", tmp_path / "persons.jsonl"
    source.write_text(json.dumps(RECORDS[0], ensure_ascii=False) + "\n" + broken_line + "\n", encoding="utf-8")
    target.write_text("the last run's persons\n", encoding="utf-8")

    assert link.main([str(source), "--output", str(target)]) == link.NOT_LINKED

    error = capsys.readouterr().err
    assert problem in error
    assert "Drita" not in error and "Krasniqi" not in error and "female" not in error
    assert target.read_text(encoding="utf-8") == "the last run's persons\n"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["broken.jsonl", "persons.jsonl"]


def test_ivdb_link_refuses_input_that_is_not_utf8_without_quoting_it(tmp_path, capsys):
    source = tmp_path / "latin2.jsonl"
    source.write_bytes(json.dumps({"identity": {"given_name": "Dra\u017een"}}, ensure_ascii=False).encode("iso-8859-2"))

    assert link.main([str(source), "--output", str(tmp_path / "persons.jsonl")]) == link.NOT_LINKED

    assert capsys.readouterr().err == f"ivdb link: {source} is not UTF-8 text\n"
    assert not (tmp_path / "persons.jsonl").exists()


def test_ivdb_link_writes_each_id_back_as_the_input_wrote_it_and_once(tmp_path):
    source, target = tmp_path / "records.jsonl", tmp_path / "persons.jsonl"
    numbered = [{**RECORDS[0], "id": 101}, {**RECORDS[1], "id": "101-b"}, {**RECORDS[2], "id": 103}]
    corrected = {**RECORDS[2], "id": 103, "identity": {**RECORDS[2]["identity"], "given_name": "Dritë"}}
    source.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in [*numbered, corrected]), encoding="utf-8")

    assert link.main([str(source), "--output", str(target)]) == 0

    lines = [json.loads(line) for line in target.read_text().splitlines()]
    assert [line["id"] for line in lines] == [101, "101-b", 103]
    assert lines[0]["person_id"] == lines[1]["person_id"] != lines[2]["person_id"]


@pytest.mark.parametrize("wrong_id", [None, True, 1.5, ["kp-1"], {"kp": 1}])
def test_ivdb_link_refuses_an_id_that_is_neither_a_string_nor_an_integer(tmp_path, capsys, wrong_id):
    source = tmp_path / "records.jsonl"
    source.write_text(json.dumps({**RECORDS[0], "id": wrong_id}, ensure_ascii=False), encoding="utf-8")

    assert link.main([str(source), "--output", str(tmp_path / "persons.jsonl")]) == link.NOT_LINKED

    assert "line 1: id is neither a string nor an integer" in capsys.readouterr().err


def test_ivdb_link_reads_a_field_of_an_unexpected_type_as_unknown(tmp_path):
    source, target = tmp_path / "records.jsonl", tmp_path / "persons.jsonl"
    odd = {"id": "odd", "identity": {**RECORDS[0]["identity"], "birth_year": "2007", "other_names": "Ari",
                                     "place_of_birth": 7}}
    source.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in (RECORDS[0], odd)), encoding="utf-8")

    assert link.main([str(source), "--output", str(target)]) == 0

    persons = {line["id"]: line["person_id"] for line in map(json.loads, target.read_text().splitlines())}
    assert persons["kp-1"] == persons["odd"]


def test_pairwise_scores_count_pairs():
    truth = {"a": 1, "b": 1, "c": 1, "d": 2}
    scores = pairwise_scores(truth, {"a": "x", "b": "x", "c": "y", "d": "y"})
    assert (scores.true_pairs, scores.predicted_pairs, scores.correct_pairs) == (3, 2, 1)
    assert scores.precision == 0.5 and round(scores.recall, 3) == 0.333


def test_synthetic_records_are_labelled_and_reproducible():
    first, second = list(generate(300, seed=5)), list(generate(300, seed=5))
    assert first == second
    assert len(first) == 300 and all(r["true_person"] for r in first)
    assert len({r["true_person"] for r in first}) < 300


def test_a_serbian_clerk_may_give_an_albanian_womans_name_the_serbian_ending():
    assert [serbian_ending(name) for name in ("Hajrije", "LABINOTË", "Rinë", "Arben")] == [
        "Hajrija", "LABINOTA", "Rinë", "Arben"]
    albanian_only = [name for name in ALBANIAN["female"] if name[-1] in "eë"
                     and serbian_ending(name) not in ROMA["female"] + SERBIAN["female"]]
    given_names = {r["identity"].get("given_name") for r in generate(3000, seed=5)}
    assert given_names & {to_cyrillic(serbian_ending(name), "albanian") for name in albanian_only}
    assert given_names & {to_cyrillic(name, "albanian") for name in albanian_only}


def test_a_russian_language_record_may_give_a_moldovan_man_the_russian_form_of_his_name():
    fathers = {r["identity"].get("father_name") for r in generate(3000, seed=5)}
    assert fathers & set(RUSSIAN_FORMS.values())
    assert fathers & {to_cyrillic(name, "romanian") for name in RUSSIAN_FORMS}


def test_a_russian_language_record_may_give_the_fathers_name_as_the_patronymic():
    assert [russian_patronymic(father, sex) for father, sex in [
        ("Иван", "female"), ("Сергей", "female"), ("Юрий", "female"), ("Дмитрий", "male"), ("Пётр", "male")]] == [
        "Ивановна", "Сергеевна", "Юрьевна", "Дмитриевич", "Петрович"]
    fathers = {r["identity"].get("father_name") for r in generate(3000, seed=5)}
    assert any(father and father.endswith(("овна", "евна", "ОВНА", "ЕВНА")) for father in fathers)


def test_a_moldovan_clerk_leaves_out_the_vowel_that_softens_a_romanian_c_or_g():
    assert [to_cyrillic(name, "romanian") for name in ("Ciobanu", "Giurgiu", "Ceaușescu", "Cibotaru")] == [
        "Чобану", "Джурджу", "Чаушеску", "Чиботару"]


def test_a_russian_language_record_ends_a_moldovan_name_in_ari_with_the_soft_sign():
    assert [to_cyrillic(name, "romanian") for name in ("Cebotari", "Rotari", "Maria")] == [
        "Чеботарь", "Ротарь", "Мария"]


def test_a_russian_passport_writes_a_moldovan_name_in_its_own_latin_letters():
    assert [passport_latin(name) for name in ("Цуркану", "Чеботарь", "Кожокару", "Михаил")] == [
        "Tsurkanu", "Chebotar", "Kozhokaru", "Mikhail"]
    family_names = {r["identity"].get("family_name") for r in generate(3000, seed=5)}
    assert family_names & {passport_latin(to_cyrillic(name, "romanian")) for name in ROMANIAN["family"]} - set(
        ROMANIAN["family"])


def test_a_slip_on_a_cyrillic_keyboard_stays_in_cyrillic():
    rng = random.Random(1)
    slips = {typo("Николета", rng) for _ in range(200)}
    assert len(slips) > 20
    assert all(letter.lower() in "абвгдеёжзийклмнопрстуфхцчшщъыьэюя" for slip in slips for letter in slip)


def test_a_record_may_write_the_fathers_name_after_the_given_name_as_a_full_name_carries_it():
    given_names = [r["identity"].get("given_name") or "" for r in generate(10000, seed=5)
                   if "father_name" not in r["identity"]]
    assert any("(" in name for name in given_names)
    assert any(name.endswith(("овна", "евна", "ович", "евич")) for name in given_names)


def test_a_record_may_give_the_fathers_name_as_its_initial_apart_or_after_the_given_name():
    identities = [r["identity"] for r in generate(3000, seed=5)]
    assert any(str(identity.get("father_name", "")).endswith(".") for identity in identities)
    assert any(str(identity.get("given_name", "")).endswith(".") for identity in identities)
    assert [initial(name) for name in ("Petar", "Ljubomir", "Shaban", "Ђорђе")] == ["P.", "Lj.", "Sh.", "Ђ."]


def test_a_record_of_a_woman_known_by_two_family_names_may_give_the_other_one_in_other_names():
    records = list(generate(3000, seed=5))
    family_names = collections.defaultdict(set)
    for record in records:
        family_names[record["true_person"]].add(record["identity"].get("family_name"))
    assert any(set(record["identity"].get("other_names", [])) & family_names[record["true_person"]]
               for record in records)


def test_a_record_may_write_1_january_for_a_day_not_known_or_a_birth_year_a_year_off():
    records = list(generate(3000, seed=5))
    assert any(str(r["identity"].get("date_of_birth", "")).endswith("-01-01") for r in records)
    years = collections.defaultdict(set)
    for record in records:
        if "birth_year" in record["identity"]:
            years[record["true_person"]].add(record["identity"]["birth_year"])
    assert any(max(written) - min(written) == 1 for written in years.values())


def test_small_evaluation_reaches_the_precision_target():
    records = list(generate(2000, seed=11))
    result = evaluate_linkage.run_engine(records)
    assert result.scores.precision >= 0.99
    assert result.reviewed_scores.precision >= 0.99
    assert result.reviewed_scores.recall >= 0.85
    assert result.candidates_per_record < 20


def test_evaluate_linkage_runs_the_engine_at_the_auto_link_threshold_asked_for(capsys):
    assert evaluate_linkage.main(["--records", "300", "--seed", "2", "--auto-link", "15.5", "--skip-baseline"]) == 0

    assert "engine, keyed encodings (auto-link 15.5)" in capsys.readouterr().out


def test_evaluate_linkage_measures_records_someone_has_labelled(tmp_path, capsys):
    labelled = tmp_path / "labelled.jsonl"
    persons = ["arber", "arber", "drita"]
    labelled.write_text("\n".join(json.dumps({**record, "id": f"r{n}", "person": person}, ensure_ascii=False)
                                  for n, (record, person) in enumerate(zip(RECORDS, persons))), encoding="utf-8")

    assert evaluate_linkage.main(["--input", str(labelled), "--label", "person", "--skip-baseline"]) == 0

    out = capsys.readouterr().out
    assert f"3 labelled records of 2 persons ({labelled})" in out
    engine_row = next(line for line in out.splitlines() if line.startswith("engine, keyed encodings"))
    assert engine_row.split()[5:8] == ["1.0000", "1.0000", "1.0000"]
    assert "Krasniqi" not in out and "Arb" not in out


@pytest.mark.parametrize("lines, problem", [
    ([{"id": "a", "true_person": "p1"}, {"id": "b"}], "line 2: true_person is not a string or an integer"),
    ([{"id": "a", "true_person": "p1"}, {"id": "a", "true_person": "p1"}], "line 2: the id of an earlier line again"),
    ([], "holds no record"),
])
def test_evaluate_linkage_refuses_labelled_records_it_cannot_measure(tmp_path, capsys, lines, problem):
    labelled = tmp_path / "labelled.jsonl"
    labelled.write_text("\n".join(json.dumps({**line, "identity": RECORDS[0]["identity"]}) for line in lines),
                        encoding="utf-8")

    assert evaluate_linkage.main(["--input", str(labelled), "--skip-baseline"]) == evaluate_linkage.NOT_EVALUATED

    error = capsys.readouterr().err
    assert problem in error and "Krasniqi" not in error


def test_evaluate_linkage_measures_generated_or_labelled_records_not_both(tmp_path, capsys):
    with pytest.raises(SystemExit):
        evaluate_linkage.main(["--input", str(tmp_path / "labelled.jsonl"), "--records", "300"])
    assert "not allowed with argument" in capsys.readouterr().err


def test_evaluate_linkage_refuses_an_auto_link_threshold_the_engine_cannot_run_with(capsys):
    for wrong in ("12", "nan", "sixteen"):
        with pytest.raises(SystemExit):
            evaluate_linkage.main(["--records", "300", "--auto-link", wrong, "--skip-baseline"])
        assert "--auto-link" in capsys.readouterr().err


def test_the_generator_writes_half_of_a_persons_later_records_within_weeks_of_an_earlier_one():
    days = collections.defaultdict(list)
    for record in generate(2000, seed=3):
        days[record["true_person"]].append(date.fromisoformat(record["statistical"]["identification_date"]))
    later = [(sorted(written), index) for written in days.values() for index in range(1, len(written))]
    within_two_months = sum(any(abs((written[index] - earlier).days) <= 60 for earlier in written[:index])
                            for written, index in later)
    assert 0.4 < within_two_months / len(later) < 0.7
