"""Commands that run the functions' code against a local stack say so, and change nothing,
when no stack runs on the port they are given."""

import pytest

from ivdb import cli

NOT_RUN = 2


@pytest.mark.parametrize("command", [["relink"], ["stats", "rebuild"], ["audit", "verify"]])
def test_without_a_stack_on_the_port_a_command_says_so_and_exits_2(command, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("IVDB_STATE_DIR", str(tmp_path))

    assert cli.main([*command, "--port", "8123"]) == NOT_RUN

    said = capsys.readouterr()
    assert said.out == ""
    assert said.err == f"ivdb {' '.join(command)}: no local stack is running on port 8123: start one with `ivdb local`\n"
