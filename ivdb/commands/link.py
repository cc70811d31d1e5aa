"""``ivdb link INPUT.jsonl --output OUTPUT.jsonl``: the linkage engine, offline.

Runs the same linker as the API over records in the document format, in memory, with a
random key that exists only for this run (so the encodings it builds are worthless
afterwards). Input is read line by line; output is written once all records are linked,
because a later record may still merge two earlier persons. Memory is what the store
needs per record (packed encoding, block memberships, person, links, queued reviews):
about 5 KB, mostly block memberships (525 MiB at 100,000 records in
benchmarks/linkage_offline.py).

Each id is written back as the input wrote it (a string or an integer). A line that is
not a record document (not JSON, not an object, a section that is not an object, an id
that is neither a string nor an integer) stops the run with its line number and exit
status 2; OUTPUT is left as it was. Fields of unexpected types inside a section are read
as unknown, as the linkage function reads them.

Once every record is linked, each pending review is weighed again against the whole
database, as the linkage function's nightly run does (``Linker.reconsider``): a pair
queued while few records had been read may link once the names' frequencies are known.
Reviews are not waited for: a record whose best match still needs a reviewer stays a
person of its own in the output, which is what the national report would count.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import IO, Iterator, NamedTuple, Sequence

from chalicelib.domain.linkage import Thresholds, in_memory_linker

KEY_BYTES = 32
NOT_LINKED = 2


SECTIONS = ("identity", "statistical")


class UnreadableRecord(ValueError):
    """A line that is not a record document; the message names the line, never its content."""


UNREADABLE_INPUT = (UnreadableRecord, OSError, UnicodeDecodeError)
"""What reading an input file of records may raise."""


def unreadable_input(error: Exception, path: str) -> str:
    """What to tell of an input that cannot be read, never quoting it: a decoding error
    would show the bytes it stumbled on."""
    return f"{path} is not UTF-8 text" if isinstance(error, UnicodeDecodeError) else str(error)


class RecordLine(NamedTuple):
    number: int
    key: str
    """The id as the store keys records."""
    written_id: str | int
    """The id as the input wrote it, written back so; the line number where it gave none."""
    record: dict


def read_records(lines: IO[str], label: str | None = None) -> Iterator[RecordLine]:
    """Every non-blank line as a record document. With ``label``, every record must name
    its true person in that field (evaluation)."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise UnreadableRecord(f"line {number} is not valid JSON") from error
        if not isinstance(record, dict):
            raise UnreadableRecord(f"line {number} is not a JSON object")
        for section in SECTIONS:
            if record.get(section) is not None and not isinstance(record[section], dict):
                raise UnreadableRecord(f"line {number}: {section} is not a JSON object")
        written_id = record.get("id", str(number))
        if not _is_identifier(written_id):
            raise UnreadableRecord(f"line {number}: id is neither a string nor an integer")
        if label is not None and not _is_identifier(record.get(label)):
            raise UnreadableRecord(f"line {number}: {label} is not a string or an integer")
        yield RecordLine(number, str(written_id), written_id, record)


def _is_identifier(value: object) -> bool:
    return isinstance(value, (str, int)) and not isinstance(value, bool)


def link_stream(lines: IO[str], output: IO[str], thresholds: Thresholds = Thresholds()) -> dict[str, int]:
    """Link every record of ``lines`` and write one ``{"id", "person_id"}`` line each; a
    record whose id comes again is linked again, as an update, and written once."""
    linker = in_memory_linker(os.urandom(KEY_BYTES), thresholds)
    written_ids: dict[str, str | int] = {}
    compared = 0
    for line in read_records(lines):
        outcome = linker.link(line.key, line.record.get("identity"), line.record.get("statistical"))
        compared += outcome.candidates
        written_ids.setdefault(line.key, line.written_id)
    linker.reconsider_reviews()
    persons = set()
    for record_id, written_id in written_ids.items():
        person_id = linker.store.resolve(linker.store.person_of(record_id) or "")
        persons.add(person_id)
        output.write(json.dumps({"id": written_id, "person_id": person_id}) + "\n")
    return {
        "records": len(written_ids),
        "persons": len(persons),
        "reviews": len(linker.pending_reviews()),
        "candidates_compared": compared,
    }


def run(args: argparse.Namespace) -> int:
    """Link INPUT into a file beside OUTPUT that replaces it only once every line is
    written: an unreadable line or a crash leaves an earlier OUTPUT as it was."""
    partial = f"{args.output}.partial"
    try:
        with open(args.input, encoding="utf-8") as lines, open(partial, "w", encoding="utf-8") as output:
            summary = link_stream(lines, output)
        os.replace(partial, args.output)
    except UNREADABLE_INPUT as error:
        print(f"ivdb link: {unreadable_input(error, args.input)}", file=sys.stderr)
        return NOT_LINKED
    finally:
        if os.path.exists(partial):
            os.remove(partial)
    print(json.dumps(summary), file=sys.stderr)
    return 0


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("input", metavar="INPUT.jsonl", help="one record document per line")
    parser.add_argument("--output", "-o", metavar="OUTPUT.jsonl", required=True, help='where to write {"id", "person_id"} lines')
    parser.set_defaults(func=run)


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser("link", help="link records of a JSONL file into persons, offline")
    _add_arguments(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run as ``ivdb link`` would, with the arguments that follow the sub-command."""
    parser = argparse.ArgumentParser(prog="ivdb link")
    _add_arguments(parser)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
