"""Lambda REPORT records, in the shapes CloudWatch Logs and the AWS CLI print them, parsed or refused."""

from __future__ import annotations

import json

import pytest

from cost_model.report_lines import Report, ReportError, parse_files, parse_text

RID = "3604209a-e9a3-11e6-939a-754dd98c7be3"
TAB_LINE = (
    f"REPORT RequestId: {RID}\tDuration: 102.25 ms\tBilled Duration: 103 ms\tMemory Size: 128 MB\t"
    "Max Memory Used: 71 MB\tInit Duration: 233.67 ms\t"
)
COLD = Report(RID, 102.25, 103, 128, 71, init_ms=233.67, where="t:1")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(TAB_LINE, COLD, id="console-tabs-cold-start"),
        pytest.param(TAB_LINE.replace("\t", " ").strip(), COLD, id="spaces-as-in-the-brief"),
        pytest.param(
            f"REPORT RequestId: {RID}\tDuration: 1.79 ms\tBilled Duration: 100 ms \tMemory Size: 128 MB\t"
            "Max Memory Used: 46 MB\t",
            Report(RID, 1.79, 100, 128, 46, where="t:1"),
            id="older-space-before-tab-warm",
        ),
        pytest.param(
            f"REPORT RequestId: {RID} Duration: 127.10 ms Billed Duration: 154 ms Memory Size: 2048 MB "
            "Max Memory Used: 212 MB Restore Duration: 325.93 ms Billed Restore Duration: 26 ms "
            "XRAY TraceId: 1-66d978e5-56c7378e556e94b5461da07c SegmentId: 29c3839e6ecb5895 Sampled: true",
            Report(RID, 127.10, 154, 2048, 212, restore_ms=325.93, billed_restore_ms=26, where="t:1"),
            id="snapstart-restore-and-xray",
        ),
        pytest.param(
            f"REPORT RequestId: {RID}\tDuration: 3000.00 ms\tBilled Duration: 3000 ms\tMemory Size: 256 MB\t"
            "Max Memory Used: 100 MB\tStatus: timeout\tError Type: Runtime.ExitError",
            Report(RID, 3000.0, 3000, 256, 100, status="timeout", where="t:1"),
            id="timeout-status",
        ),
        pytest.param(
            f"2026-11-30T10:00:07.557000+00:00 2026/11/30/[$LATEST]0123abcd {TAB_LINE}",
            COLD,
            id="aws-logs-tail-prefix",
        ),
        pytest.param(
            json.dumps(
                {
                    "time": "2026-11-30T10:00:07.557Z",
                    "type": "platform.report",
                    "record": {
                        "requestId": RID,
                        "metrics": {
                            "durationMs": 102.25,
                            "billedDurationMs": 103,
                            "memorySizeMB": 128,
                            "maxMemoryUsedMB": 71,
                            "initDurationMs": 233.67,
                        },
                        "status": "success",
                    },
                }
            ),
            Report(RID, 102.25, 103, 128, 71, init_ms=233.67, status="success", where="t:1"),
            id="json-log-format",
        ),
    ],
)
def test_real_format_records(text, expected):
    parsed = parse_text(text, "t")
    assert parsed.reports == [expected]
    assert parsed.other_lines == 0
    assert parsed.reports[0].cold == (expected.init_ms is not None or expected.restore_ms is not None)


def test_filter_log_events_json_output():
    document = {
        "events": [
            {
                "logStreamName": "2026/11/30/[$LATEST]0123abcd",
                "timestamp": 1764496807557,
                "message": TAB_LINE + "\n",
                "ingestionTime": 1764496808000,
                "eventId": "1",
            },
            {
                "logStreamName": "s",
                "timestamp": 1,
                "message": TAB_LINE.replace("Init Duration: 233.67 ms\t", ""),
            },
        ],
        "searchedLogStreams": [],
    }
    parsed = parse_text(json.dumps(document, indent=2), "events.json")
    assert [r.where for r in parsed.reports] == ["events.json: event 1", "events.json: event 2"]
    assert [r.cold for r in parsed.reports] == [True, False]


def test_text_output_with_several_records_on_one_line_and_other_lines_counted():
    text = "\n".join(
        [
            f"START RequestId: {RID} Version: $LATEST",
            f"EVENTS\t1\t1764496808000\t2026/11/30/[$LATEST]0123abcd\t{TAB_LINE}",
            f"{TAB_LINE}{TAB_LINE.replace('Init Duration: 233.67 ms', '')}",
            f"END RequestId: {RID}",
            "[INFO] generating the monthly REPORT for a customer",
            "",
        ]
    )
    parsed = parse_text(text, "t")
    assert len(parsed.reports) == 3
    assert parsed.reports[1].where == "t:3 (record 1)"
    assert parsed.other_lines == 3  # START, END and the function's own line; the blank line is not counted


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(
            TAB_LINE.replace("\tMax Memory Used: 71 MB", ""), "without 'Max Memory Used'", id="missing-field"
        ),
        pytest.param(
            TAB_LINE.replace("102.25 ms", "abc ms"), "'Duration' should be a number of ms", id="not-a-number"
        ),
        pytest.param(
            TAB_LINE.replace("128 MB", "128 GB"), "'Memory Size' should be a number of MB", id="wrong-unit"
        ),
        pytest.param(
            TAB_LINE.replace("71 MB", "71.5 MB"), "'Max Memory Used' should be a whole number", id="fraction"
        ),
        pytest.param(
            TAB_LINE.replace(f"RequestId: {RID}", "RequestId:"), "without a request id", id="no-request-id"
        ),
        pytest.param(
            "REPORT Duration: 119000.00 ms Billed Duration: 119000 ms Memory Size: 1024 MB Max Memory Used: 174 MB",
            "without 'RequestId:'",
            id="no-request-id-label",
        ),
        pytest.param(TAB_LINE + "Duration: 1.00 ms", "'Duration' appears twice", id="duplicate-field"),
        pytest.param('{"type": "platform.report", "record": ', "not valid JSON", id="broken-json-record"),
        pytest.param(
            '{"type": "platform.report", "record": {}}', "without record.metrics", id="json-no-metrics"
        ),
    ],
)
def test_malformed_records_name_their_line(text, message):
    with pytest.raises(ReportError, match=r"^t:2: ") as caught:
        parse_text(f"START RequestId: {RID} Version: $LATEST\n{text}\n", "t")
    assert message in str(caught.value)


def test_unknown_trailing_text_is_reported_not_dropped():
    parsed = parse_text(TAB_LINE + "1764496807557", "t")
    assert parsed.reports == [COLD]
    assert parsed.ignored_text == ["t:1: '1764496807557' after 'Init Duration'"]


def test_files_without_any_record_are_an_error(tmp_path):
    log = tmp_path / "only-starts.log"
    log.write_text(f"START RequestId: {RID} Version: $LATEST\nEND RequestId: {RID}\n")
    with pytest.raises(ReportError, match=r"no REPORT records in .*only-starts.log \(2 other lines\)"):
        parse_files([log])
    with pytest.raises(ReportError, match="cannot read"):
        parse_files([tmp_path / "missing.log"])


def test_the_committed_sample_parses_whole():
    from tests.helpers import ROOT

    parsed = parse_files([ROOT / "examples" / "lambda_reports" / "orders-api.log"])
    assert len(parsed.reports) == 24
    assert sum(r.cold for r in parsed.reports) == 2
    assert [r.status for r in parsed.reports].count("timeout") == 1
    assert parsed.ignored_text == []
    # INIT_START twice, then START, the function's line and END for each of 24 invocations.
    assert parsed.other_lines == 2 + 3 * 24
