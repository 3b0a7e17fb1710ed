"""`multicodex usage-notices`: the thresholds in force, changed and saved to the store
(what the editor's server follows), validated with one line naming the option."""

from __future__ import annotations

from cli_rig import CliRig


def test_usage_notices_shows_changes_and_saves_the_thresholds(cli: CliRig) -> None:
    shown = cli.run("usage-notices")
    assert shown.code == 0, shown.stderr
    assert shown.stdout.splitlines()[0] == "usage notices: thresholds=80,95 margin=5"

    changed = cli.run("usage-notices", "--thresholds", "70,90", "--margin", "10")
    assert changed.code == 0, changed.stderr
    assert changed.stdout.splitlines()[0] == "usage notices: thresholds=70,90 margin=10"
    stored = cli.stored().settings.usage_notices
    assert (stored.thresholds, stored.margin) == ([70, 90], 10.0)

    as_json = cli.run("usage-notices", "--json").json()
    assert (as_json["thresholds"], as_json["margin"]) == ([70, 90], 10.0)

    off = cli.run("usage-notices", "--thresholds", "none")
    assert off.stdout.splitlines() == [
        "usage notices: thresholds=none margin=10",
        "No usage notices are sent.",
    ]


def test_usage_notices_refuses_thresholds_out_of_order_or_range_and_a_wide_margin(
    cli: CliRig,
) -> None:
    for args, option in (
        (("--thresholds", "95,80"), "--thresholds"),
        (("--thresholds", "0,50"), "--thresholds"),
        (("--thresholds", "80,x"), "--thresholds"),
        (("--margin", "51"), "--margin"),
    ):
        refused = cli.run("usage-notices", *args)
        assert refused.code == 2, args
        assert option in refused.one_line_error(), args
    assert cli.stored().settings.usage_notices.thresholds == [80, 95]
