"""Message text to rich text: markup kept to the subset, everything else escaped."""

from __future__ import annotations

from keybound.gui import text


def test_markdown_subset_becomes_html_and_the_rest_is_escaped() -> None:
    html = text.message_html("**hi** <b>x</b> & *it* `c<d>`\nnext")
    assert html == (
        "<b>hi</b> &lt;b&gt;x&lt;/b&gt; &amp; <i>it</i> <code>c&lt;d&gt;</code><br>next"
    )


def test_links_markdown_and_bare_only_safe_schemes() -> None:
    html = text.message_html("see [docs](https://ex.org/a?b=1&c=2) or https://x.org/p.")
    assert '<a href="https://ex.org/a?b=1&amp;c=2">docs</a>' in html
    assert '<a href="https://x.org/p">https://x.org/p</a>.' in html
    evil = text.message_html('[x](javascript:alert(1)) file:///etc/passwd "><script>')
    assert "<a" not in evil and "<script>" not in evil


def test_misleading_labels_previews_names_sizes() -> None:
    assert text.link_label_misleads("https://bank.example", "https://evil.example")
    assert not text.link_label_misleads("https://x.org", "https://x.org")
    assert text.preview("**a**\n\n b " + "w" * 100, 10) == "a b wwwww…"
    assert text.name("\u202eevil") == "\u2068\\u202eevil\u2069"
    assert text.human_size(512) == "512 B" and text.human_size(3 * 1024 * 1024) == "3.0 MB"
