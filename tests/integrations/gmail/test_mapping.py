"""mapping.parse_message on the MIME the group really gets, and build_reply's headers and quote."""

from __future__ import annotations

import base64
import time
import tracemalloc
from datetime import UTC, datetime

import pytest

from integrations.gmail import mapping, mime
from integrations.gmail.mapping import build_reply, parse_message, requester

GROUP = "levelup@edudesk.example"
PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * 92).decode()


def message(body: str, headers: str = "", subject: str = "Hi",
            date: str = "Tue, 05 Mar 2024 09:30:00 +0100") -> bytes:
    head = (f"From: Mei Chen <mei@contoso.example>\nTo: LevelUp <{GROUP}>\nSubject: {subject}\n"
            f"Date: {date}\nMessage-ID: <m1@contoso.example>\nMIME-Version: 1.0\n{headers}")
    return (head + body).encode("utf-8", "surrogateescape")


NESTED = message("""Content-Type: multipart/mixed; boundary="outer"

--outer
Content-Type: multipart/alternative; boundary="alt"

--alt
Content-Type: text/plain; charset=utf-8

Plain version
--alt
Content-Type: multipart/related; boundary="rel"

--rel
Content-Type: text/html; charset=utf-8

<p>HTML version <img src="cid:shot@x"></p>
--rel
Content-Type: image/png
Content-ID: <shot@x>
Content-Transfer-Encoding: base64

""" + PNG + """
--rel--
--alt--
--outer
Content-Type: application/pdf; name="lab.pdf"
Content-Disposition: attachment; filename*=utf-8''r%C3%A9sum%C3%A9.pdf
Content-Transfer-Encoding: base64

JVBERi0xLjQK
--outer
Content-Type: message/rfc822

Subject: Forwarded
From: a@b.example

inner body
--outer--
""")


def test_nested_multiparts_give_bodies_and_attachment_metadata():
    parsed = parse_message(NESTED)

    assert parsed["text"] == "Plain version"  # the newline before a boundary is the boundary's
    assert parsed["html"] == '<p>HTML version <img src="cid:shot@x"></p>'
    image, pdf, forwarded = parsed["attachments"]
    assert image == {"filename": None, "content_type": "image/png", "size": 100,
                     "content_id": "shot@x", "inline": True}
    assert pdf == {"filename": "résumé.pdf", "content_type": "application/pdf", "size": 9,
                   "content_id": None, "inline": False}
    assert forwarded["filename"] == "Forwarded.eml" and forwarded["content_type"] == "message/rfc822"
    assert "inner body" not in parsed["text"]


def test_headers_addresses_and_encoded_words():
    subject = "=?utf-8?q?Badge_=E2=80=94_expired?= =?iso-8859-1?q?_f=FCr_mich?="
    raw = message("Content-Type: text/plain\n\nx\n", subject=subject,
               headers="Cc: =?utf-8?b?SsO8cmdlbiBXZWnDnw==?= <j@beispiel.example>, b@c.example\n"
                       "In-Reply-To: <p1@edudesk.example>\n"
                       "References: <p0@edudesk.example>\n <p1@edudesk.example>\n")
    parsed = parse_message(raw)

    assert parsed["subject"] == "Badge — expired für mich"
    assert parsed["from"] == {"name": "Mei Chen", "address": "mei@contoso.example"}
    assert parsed["to"] == [{"name": "LevelUp", "address": GROUP}]
    assert parsed["cc"] == [{"name": "Jürgen Weiß", "address": "j@beispiel.example"},
                            {"name": "", "address": "b@c.example"}]
    assert parsed["message_id"] == "<m1@contoso.example>"
    assert parsed["in_reply_to"] == "<p1@edudesk.example>"
    assert parsed["references"] == ["<p0@edudesk.example>", "<p1@edudesk.example>"]
    assert parsed["date"] == datetime(2024, 3, 5, 8, 30, tzinfo=UTC)
    assert parsed["auto_submitted"] is False


def test_latin1_and_broken_charsets_decode():
    latin1 = message("Content-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: 8bit"
                  "\n\n") + "Grüße, Jürgen".encode("latin-1")
    unknown = message("Content-Type: text/plain; charset=x-no-such-charset\n\n") + "naïve".encode()
    mislabelled = message("Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: "
                       "8bit\n\n") + "café “quoted”".encode("cp1252")

    assert parse_message(latin1)["text"] == "Grüße, Jürgen"
    assert parse_message(unknown)["text"] == "naïve"
    assert parse_message(mislabelled)["text"] == "café “quoted”"


def test_broken_header_bytes_do_not_fail_the_parse():
    raw = message("Content-Type: text/plain\n\nbody\n", subject="Caf\udce9 8-bit",
                  headers="Cc: undisclosed-recipients:;\n", date="not a date")
    parsed = parse_message(raw)
    assert parsed["subject"].startswith("Caf") and parsed["date"] is None
    assert parsed["text"] == "body\n"


def test_malicious_html_is_kept_for_the_sanitiser():
    evil = ('<p>hi</p><script>alert(1)</script><img src=x onerror="steal()">'
            '<a href="javascript:go()">x</a>')
    parsed = parse_message(message(f"Content-Type: text/html; charset=utf-8\n\n{evil}\n"))
    assert parsed["html"] == evil + "\n" and parsed["text"] == ""


def test_auto_replies_are_flagged():
    parsed = parse_message(message("Content-Type: text/plain\n\nAway\n",
                                headers="Auto-Submitted: auto-replied\n"))
    assert parsed["auto_submitted"] is True


def test_a_20_mb_message_parses_in_bounded_time_and_memory_keeping_no_bytes():
    payload = base64.encodebytes(b"\xab" * (20 * 1024 * 1024)).decode()
    raw = message(f"""Content-Type: multipart/mixed; boundary="b"

--b
Content-Type: text/plain

See the recording attached.
--b
Content-Type: video/mp4
Content-Disposition: attachment; filename="session.mp4"
Content-Transfer-Encoding: base64

{payload}--b--
""")
    del payload
    tracemalloc.start()
    started = time.monotonic()
    parsed = parse_message(raw)
    elapsed = time.monotonic() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()

    assert parsed["attachments"] == [{"filename": "session.mp4", "content_type": "video/mp4",
                                      "size": 20 * 1024 * 1024, "content_id": None,
                                      "inline": False}]
    assert elapsed < 10
    # The encoded block is skipped, not copied or decoded: memory does not grow with it.
    assert peak < 5 * 1024 * 1024
    assert len(repr(parsed)) < 2000  # the result holds metadata only


def test_huge_text_is_cut_and_flagged():
    raw = message("Content-Type: text/plain; charset=utf-8\n\n") + "é".encode() * (
        mime.MAX_BODY_CHARS + 10)
    parsed = parse_message(raw)
    assert len(parsed["text"]) == mime.MAX_BODY_CHARS and parsed["truncated"] is True
    assert set(parsed["text"]) == {"é"}


def test_a_large_base64_text_body_is_read_up_to_the_cap():
    text = "Zeile mit Umlauten äöü. " * 250_000  # 6.5 MB of UTF-8, 8.7 MB encoded
    raw = message("Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64"
                  "\n\n" + base64.encodebytes(text.encode()).decode())
    parsed = parse_message(raw)

    assert mime.elide(raw)[1]  # the body took the elided path
    assert parsed["text"] == text[:mime.MAX_BODY_CHARS] and parsed["truncated"] is True


def test_elided_blocks_are_sized_exactly_whatever_their_last_line():
    for size in (3 * 1024 * 1024, 3 * 1024 * 1024 + 1, 3 * 1024 * 1024 + 2):
        data = base64.encodebytes(b"\x01" * size).decode()
        raw = message('Content-Type: application/zip; name="a.zip"\n'
                      "Content-Transfer-Encoding: base64\n\n" + data)
        assert parse_message(raw)["attachments"][0]["size"] == size


def test_over_gmails_size_cap_only_headers_are_read(monkeypatch):
    monkeypatch.setattr(mapping, "MAX_RAW_BYTES", 1000)
    parsed = parse_message(message("Content-Type: text/plain\n\n" + "x" * 5000))
    assert parsed["subject"] == "Hi" and parsed["text"] == "" and parsed["truncated"] is True


def test_requester_sees_through_the_groups_rewrite():
    rewritten = {"from": {"name": "'Tomás' via LevelUp", "address": GROUP}, "reply_to": [],
                 "original_sender": "tomas@alvarez.example"}
    with_reply_to = {**rewritten, "reply_to": [{"name": "Tomás", "address": "t@a.example"}]}

    assert requester(rewritten, GROUP) == {"name": "Tomás", "address": "tomas@alvarez.example"}
    assert requester(with_reply_to, GROUP) == {"name": "Tomás", "address": "t@a.example"}
    assert requester({"from": {"name": "", "address": GROUP.upper()}}, GROUP) is None


def test_build_reply_headers_quote_and_alternatives():
    original = parse_message(message("Content-Type: text/plain\n\nLine one\n\nLine <two>\n",
                                  headers="Cc: Boss <boss@contoso.example>, " + GROUP + "\n"
                                          "References: <p0@x>\n"))
    reply = build_reply(original, text="Thanks, fixed.", group_address=GROUP,
                        group_name="LevelUp Support", date=datetime(2024, 3, 6, tzinfo=UTC))
    back = parse_message(reply.as_bytes())

    assert back["from"] == {"name": "LevelUp Support", "address": GROUP}
    assert back["to"] == [{"name": "Mei Chen", "address": "mei@contoso.example"}]
    assert back["cc"] == [{"name": "Boss", "address": "boss@contoso.example"}]
    assert back["subject"] == "Re: Hi"
    assert back["in_reply_to"] == "<m1@contoso.example>"
    assert back["references"] == ["<p0@x>", "<m1@contoso.example>"]
    assert back["message_id"].endswith("@edudesk.example>")
    assert back["text"].startswith("Thanks, fixed.\n\nOn Tue, 05 Mar 2024 at 09:30 UTC+01:00, "
                                   "Mei Chen <mei@contoso.example> wrote:\n> Line one\n>\n")
    assert "&lt;two&gt;" in back["html"] and "<two>" not in back["html"]
    assert reply.get_content_type() == "multipart/alternative"
    again = build_reply(back, text="again", group_address=GROUP, to=back["to"])
    assert again["Subject"] == "Re: Hi"  # never "Re: Re:"


def test_build_reply_refuses_when_only_the_group_wrote():
    ours = {"from": {"name": "", "address": GROUP}, "subject": "x"}
    with pytest.raises(ValueError, match="nobody to reply to"):
        build_reply(ours, text="x", group_address=GROUP)
