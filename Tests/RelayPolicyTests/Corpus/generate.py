#!/usr/bin/env python3
"""Writes recipients.tsv: hostile and ordinary RCPT arguments with the answers the spec gives for them.

Run from anywhere: `python3 Tests/RelayPolicyTests/Corpus/generate.py`; it rewrites recipients.tsv next to itself.
Review the diff of the TSV, not only this script.

The expected values are worked out here from the spec (README "The policy", the decoder's documented rules in
Sources/RelayPolicy/Address, MS-OXCMAIL 2.1.3.1.8 for IMCEA, Postfix's rewrite rules for routed forms), never by
running the decoder. Each row is built from what it encodes: an IMCEA row is made by encapsulating a known target, so
its `inner` is that target by construction.

Columns (tab-separated; `recipient` and `inner` use the escapes \\\\ \\t \\n \\r \\0):
  id        stable row name
  family    which hostile family the row belongs to
  recipient the RCPT argument as Postfix would pass it (brackets and all)
  form      AddressForm raw value
  type      outermost IMCEA type, `-` when not IMCEA
  layers    IMCEA layers decoded; `8+` means the depth limit was hit (depthExceeded)
  inner     DecodedAddress.inner; `-` for nil (every row pins it)
  default   verdict:rule under the default policy (reroute = no), client 203.0.113.9
  inside    verdict:rule under reroute = yes, relay_clients = 192.0.2.0/24, client 192.0.2.10
  outside   the same policy, client 203.0.113.9
  finding   `-`, or the finding id when the decoder/policy disagrees with the spec (the test records a known issue)
  note      free text

Verdict classes (README "The policy"):
  pass        an ordinary or non-reroute IMCEA recipient: continue:pass everywhere
  reroute     an IMCEA SMTP layer, an X400 layer with a dda:SMTP=/dda:RFC-822= address, or a routed form:
              reject:reroute-disabled / continue:reroute-allowed / reject:reroute-denied
  rejecttype  any layer of type INVALID or X500: reject:imcea-reject-type for every client (rule 1 runs first)
  denyall     no rule is pinned, but every column must deny (`reject:*`): used for findings where the spec demands a
              denial that the current rules cannot give
"""

import os

LOCAL = "corp.example"
ROWS = []
SEEN = set()

CLASSES = {
    "pass": ("continue:pass", "continue:pass", "continue:pass"),
    "reroute": ("reject:reroute-disabled", "continue:reroute-allowed", "reject:reroute-denied"),
    "rejecttype": ("reject:imcea-reject-type",) * 3,
    "denyall": ("reject:*",) * 3,
}


def row(family, recipient, form, cls, inner=None, type=None, layers=0, finding="-", note="", columns=None):
    if recipient in SEEN:
        return
    SEEN.add(recipient)
    if form == "imcea":
        assert type is not None and layers, recipient
    verdicts = columns or CLASSES[cls]
    ROWS.append(dict(
        id=f"{family}-{sum(1 for r in ROWS if r['family'] == family) + 1:03d}",
        family=family, recipient=recipient, form=form, type="-" if type is None else type,
        layers=str(layers), inner="-" if inner is None else inner,
        default=verdicts[0], inside=verdicts[1], outside=verdicts[2], finding=finding, note=note,
    ))


def escape(text):
    out = []
    for ch in text:
        out.append({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r", "\0": "\\0"}.get(ch, ch))
    return "".join(out)


# --- IMCEA encoding (MS-OXCMAIL 2.1.3.1.8): letters, digits, `-` and `=` as is; `/` as `_`; every other byte +HH.

def encode(text, lower_hex=False, slash=True):
    out = []
    for byte in text.encode("utf-8"):
        ch = chr(byte)
        if ch.isascii() and (ch.isalnum() or ch in "-="):
            out.append(ch)
        elif ch == "/" and slash:
            out.append("_")
        else:
            out.append(("+%02x" if lower_hex else "+%02X") % byte)
    return "".join(out)


def routes(text):
    """Whether a decoded IMCEA payload names another hop (README "The policy", rule 2)."""
    return any(ch in text for ch in "@%!")


def payload_class(text):
    """Any IMCEA type whose decoded payload routes is a reroute attempt (issue 10 section 2); the rest pass."""
    return "reroute" if routes(text) else "pass"


def imcea(type_text, body, domain=LOCAL):
    return f"IMCEA{type_text}-{body}@{domain}"


def smtp_wrap(address, prefix="IMCEASMTP", **kw):
    return f"{prefix}-{encode(address, **kw)}@{LOCAL}"


TARGETS = [
    "victim@elsewhere.com",
    "to@[198.51.100.7]",
    "a.b+tag@ex.org",
    "spam-me@relay.test.example",
    "postmaster@[IPv6:2001:db8::7]",
]

# 1. Every case spelling of the SMTP prefix, each target, upper and lower hex.
for spelling in ["IMCEASMTP", "imceasmtp", "ImceaSmtp", "IMCEAsmtp", "imceaSMTP", "iMcEaSmTp"]:
    for target in TARGETS:
        row("imcea-smtp-case", smtp_wrap(target, spelling), "imcea", "reroute", target, "SMTP", 1)
for target in TARGETS:
    row("imcea-smtp-case", smtp_wrap(target, lower_hex=True), "imcea", "reroute", target, "SMTP", 1,
        note="lowercase hex")
    row("imcea-smtp-case", "<" + smtp_wrap(target) + ">", "imcea", "reroute", target, "SMTP", 1, note="brackets")

# 2. The type itself escaped: +HH and case inside the type decode before it is compared.
V = "victim+40elsewhere+2Ecom"
for type_text in ["S+4DTP", "+53+4D+54+50", "+73mtp", "sm+74p", "SMT+50", "+53MTP"]:
    row("imcea-type-escape", imcea(type_text, V), "imcea", "reroute", "victim@elsewhere.com", "SMTP", 1)

# 3. The other IMCEA types and their case spellings.
for spelling in ["X500", "x500", "X+35+30+30", "+58500"]:
    row("imcea-types", imcea(spelling, "_O=CONTOSO_OU=EXCHANGE_CN=RECIPIENTS_CN=bob"), "imcea", "rejecttype",
        "/O=CONTOSO/OU=EXCHANGE/CN=RECIPIENTS/CN=bob", "X500", 1)
for spelling in ["INVALID", "invalid", "Invalid", "INV+41LID"]:
    row("imcea-types", imcea(spelling, V), "imcea", "rejecttype", "victim@elsewhere.com", "INVALID", 1,
        note="INVALID carries no SMTP address but is rejected outright")
for spelling in ["EX", "ex", "Ex"]:
    row("imcea-types", imcea(spelling, "_O=CONTOSO_OU=FIRST+20ADMINISTRATIVE+20GROUP_CN=RECIPIENTS_CN=bob"),
        "imcea", "pass", "/O=CONTOSO/OU=FIRST ADMINISTRATIVE GROUP/CN=RECIPIENTS/CN=bob", "EX", 1)
for spelling, body, inner, kind in [
    ("FAX", "+2B1+20555+201234", "+1 555 1234", "FAX"),
    ("fax", "+2B1+20555+201234", "+1 555 1234", "FAX"),
    ("MS", "CONTOSO_POSTOFFICE_bob", "CONTOSO/POSTOFFICE/bob", "MS"),
    ("NOTES", "Bob+20Smith+2FContoso+40contoso", "Bob Smith/Contoso@contoso", "NOTES"),
    ("CCMAIL", "Smith+2C+20Bob+20at+20Contoso", "Smith, Bob at Contoso", "CCMAIL"),
    ("MSMAIL", "CONTOSO_PO_bob", "CONTOSO/PO/bob", "MSMAIL"),
    ("FOO", V, "victim@elsewhere.com", "FOO"),
    ("FOO+2DBAR", V, "victim@elsewhere.com", "FOO-BAR"),
    ("", V, "victim@elsewhere.com", ""),
    ("ESMTP", V, "victim@elsewhere.com", "ESMTP"),
    ("SMTPX", V, "victim@elsewhere.com", "SMTPX"),
    ("S_MTP", V, "victim@elsewhere.com", "S/MTP"),
]:
    row("imcea-types", imcea(spelling, body), "imcea", payload_class(inner), inner, kind, 1,
        note="not a reroute type, but its payload routes" if routes(inner) else "no routing character in the payload")
# Types that differ from SMTP only by a byte Exchange might trim or a C string might end at: not SMTP, but any type
# whose payload routes is a reroute attempt, so what Exchange makes of the type no longer matters.
for spelling, kind in [("SMTP+20", "SMTP "), ("SMTP+00", "SMTP\0"), ("+20SMTP", " SMTP"), ("SMTP+09", "SMTP\t"),
                       ("SMTP+0D+0A", "SMTP\r\n")]:
    row("imcea-type-nearmiss", imcea(spelling, V), "imcea", "reroute", "victim@elsewhere.com", kind, 1,
        note="an unknown type whose payload routes")

# 3b. Any IMCEA type whose decoded payload routes (issue 10 section 2): Exchange hands the payload to the connector for
# its type (Notes/Domino, fax, SMS, MS Mail, cc:Mail), some of which reach the outside. No type is exempt by default.
for spelling, kind in [("NOTES", "NOTES"), ("notes", "NOTES"), ("FAX", "FAX"), ("Fax", "FAX"), ("MOBILE", "MOBILE"),
                       ("MSMAIL", "MSMAIL"), ("CCMAIL", "CCMAIL"), ("MS", "MS"), ("EX", "EX"), ("SMS", "SMS"),
                       ("N+4FTES", "NOTES")]:
    for payload in ["victim@elsewhere.com", "victim%elsewhere.com", "elsewhere.com!victim"]:
        row("imcea-payload", imcea(spelling, encode(payload), domain="corp.test"), "imcea", "reroute", payload, kind,
            1, note="a payload that names another hop, whatever the type")
for recipient, payload, kind, note in [
    ("IMCEANOTES-victim+40elsewhere+2Ecom@corp.test", "victim@elsewhere.com", "NOTES", "the issue's example"),
    ("IMCEANOTES-Bob+20Smith_Contoso+40contoso@corp.test", "Bob Smith/Contoso@contoso", "NOTES",
     "a Notes address with a Notes domain: exempt NOTES where a Domino coexistence needs it"),
    ("IMCEAFAX-victim+40elsewhere+2Ecom@corp.test", "victim@elsewhere.com", "FAX", "the issue's example"),
    ("IMCEAMOBILE-victim+40elsewhere+2Ecom@corp.test", "victim@elsewhere.com", "MOBILE", "the issue's example"),
    ("IMCEAFAX-+2B15551234+40fax+2Eelsewhere+2Ecom@corp.test", "+15551234@fax.elsewhere.com", "FAX",
     "a fax-to-mail gateway address"),
    ("IMCEAMOBILE-UTF8-victim+40elsewhere+2Ecom@corp.test", "victim@elsewhere.com", "MOBILE", "after a UTF8- marker"),
    ("IMCEANOTES-victim+40elsewhere+2Ecom+40corp+2Etest@corp.test", "victim@elsewhere.com@corp.test", "NOTES",
     "two @ in the payload"),
    ("IMCEACCMAIL-victim+20at+20elsewhere+2Ecom+40hub@corp.test", "victim at elsewhere.com@hub", "CCMAIL", ""),
    ("IMCEAMSMAIL-NET_PO_victim+25elsewhere+2Ecom@corp.test", "NET/PO/victim%elsewhere.com", "MSMAIL", ""),
    ("IMCEAEX-_O=CORP_CN=RECIPIENTS_CN=victim+40elsewhere+2Ecom@corp.test",
     "/O=CORP/CN=RECIPIENTS/CN=victim@elsewhere.com", "EX", "an EX payload that routes is no legacyExchangeDN"),
    ("IMCEAFOO-victim+2540elsewhere+2Ecom@corp.test", "victim%40elsewhere.com", "FOO", "decoded once: a %"),
]:
    row("imcea-payload", recipient, "imcea", "reroute", payload, kind, 1, note=note)
for recipient, payload, kind, note in [
    ("IMCEAEX-_O=CORP_OU=EXCHANGE+20ADMINISTRATIVE+20GROUP_CN=RECIPIENTS_CN=alice@corp.test",
     "/O=CORP/OU=EXCHANGE ADMINISTRATIVE GROUP/CN=RECIPIENTS/CN=alice", "EX",
     "the issue's legacyExchangeDN: real mail after migrations"),
    ("IMCEANOTES-Bob+20Smith_Contoso@corp.test", "Bob Smith/Contoso", "NOTES", "a Notes name without a domain"),
    ("IMCEAFAX-+2B1+20555+20123+204567@corp.test", "+1 555 123 4567", "FAX", "a fax number"),
    ("IMCEAMOBILE-+2B15551234567@corp.test", "+15551234567", "MOBILE", "a mobile number"),
    ("IMCEAMSMAIL-NET_PO_alice@corp.test", "NET/PO/alice", "MSMAIL", ""),
    ("IMCEACCMAIL-Smith+2C+20Alice+20at+20Hub@corp.test", "Smith, Alice at Hub", "CCMAIL", ""),
    ("IMCEAFOO-alice+2Ebob@corp.test", "alice.bob", "FOO", "an unknown type without a routing character"),
    ("IMCEAFAX-victim+2B40elsewhere+2Ecom@corp.test", "victim+40elsewhere.com", "FAX", "+2B40 is a + then 40"),
]:
    row("imcea-payload", recipient, "imcea", "pass", payload, kind, 1, note=note)

# 4. X400: a reroute attempt when a DDA value of any type routes once read as Exchange reads the text form.
X = "victim+40elsewhere+2Ecom"
for spelling in ["X400", "x400", "X+34+30+30"]:
    row("imcea-x400", imcea(spelling, f"c=US;a=+20;p=Contoso;o=Exchange;dda+3ASMTP={X};"), "imcea", "reroute",
        "victim@elsewhere.com", "X400", 1)
for body, cls, inner, note in [
    (f"c=US;a=+20;p=Contoso;o=Exchange;DDA+3Asmtp={X};", "reroute", "victim@elsewhere.com", "names without case"),
    (f"c=US;dda+3ARFC-822={X}", "reroute", "victim@elsewhere.com", "RFC-822, last field"),
    (f"c=US;dda+3Arfc-822={X};", "reroute", "victim@elsewhere.com", ""),
    (f"_c=US_a=+20_p=Contoso_dda+3ASMTP={X}_", "reroute", "victim@elsewhere.com", "slash notation"),
    (f"c=US+3Bdda+3ASMTP={X}+3B", "reroute", "victim@elsewhere.com", "escaped semicolons"),
    (f"c=US;+20dda+3ASMTP={X};", "reroute", "victim@elsewhere.com", "space before the field name"),
    (f"dda+3ASMTP=;dda+3ASMTP={X}", "reroute", "victim@elsewhere.com", "empty decoy first"),
    (f"c=US;dda+3ASMTP=a_b+40elsewhere+2Ecom;", "reroute", "a/b@elsewhere.com", "slash inside a ;-separated value"),
    (f"c=US;dda+3ASMTP=victim@elsewhere.com;", "reroute", "victim@elsewhere.com", "unescaped @ in the dda value"),
    ("c=US;a=+20;p=Contoso;o=Exchange;s=Smith", "pass", "c=US;a= ;p=Contoso;o=Exchange;s=Smith", "no dda"),
    ("c=US;dda+3ASMTP=;", "pass", "c=US;dda:SMTP=;", "empty dda value"),
    (f"c=US;dda+3AX400={X};", "reroute", "victim@elsewhere.com", "any DDA type whose value routes"),
    (f"c=US;dda+3ASMTP+20={X};", "reroute", "victim@elsewhere.com", "blanks around a key are ignored"),
]:
    row("imcea-x400", imcea("X400", body), "imcea", cls, inner, "X400", 1, note=note)

# 4b. The X.400 text form as Exchange reads it (issue 10 section 1; RFC 1685, RFC 2156, MS-OXCMAIL): the separator is `/`
# when the text starts with `/`, else `;`; blanks around keys and values are ignored; a backslash escapes the next
# character; keys are compared without case; RFC 2156 maps (a) (p) (b) (q) (l) (r) and (NNN) in a DDA value. Each row
# is built from the decoded body; `inner` is the DDA value as mapped, by construction.
def x400_raw(text):
    """The IMCEA encoding, with `;` and `:` left raw as some clients write them."""
    return "".join(ch if ch in ";:" else encode(ch) for ch in text)


def x400(body, cls, inner, note, raw=False, spelling="X400"):
    row("imcea-x400-text", imcea(spelling, x400_raw(body) if raw else encode(body), domain="corp.test"), "imcea", cls,
        inner, "X400", 1, note=note)


T = "victim@elsewhere.com"
x400("c=US;a= ;p=Org;o=Site;s=victim;\tdda:SMTP=victim@elsewhere.com", "reroute", T,
     "the issue's example: a TAB before the key")
KEYS = [
    ("c=US;a= ;p=Org;o=Site;s=victim;\tdda:SMTP={v}", "TAB before the key"),
    ("c=US; dda:SMTP={v};", "space before the key"),
    ("c=US;  \t dda:SMTP={v};", "spaces and a TAB before the key"),
    ("c=US;dda:SMTP ={v};", "space before ="),
    ("c=US;dda:SMTP\t={v};", "TAB before ="),
    ("c=US;dda:SMTP= {v} ;", "spaces around the value"),
    ("c=US;dda:SMTP=\t{v}\t;", "TABs around the value"),
    ("c=US;\tdda:SMTP\t=\t{v}\t", "TABs everywhere"),
    ("c=US;dda :SMTP={v}", "blank inside the key"),
    ("c=US;dda: SMTP={v}", "blank after the colon"),
    ("c=US;d\\da:SMTP={v}", "escape inside dda"),
    ("c=US;dda\\:SMTP={v}", "escaped colon"),
    ("c=US;dda:S\\MTP={v}", "escape inside the type"),
    ("c=US;DDA:SMTP={v}", "upper case"),
    ("c=US;dda:smtp={v}", "lower case"),
    ("c=US;Dda:Smtp={v}", "mixed case"),
    ("C=us;dDa:sMtP={v};", "mixed case everywhere"),
    ("/c=US/a= /p=Org/dda:SMTP={v}/", "slash form"),
    ("/c=US/dda:SMTP={v}", "slash form, last field"),
    ("/c=US/a=;/dda:SMTP={v}/", "slash form with a ; inside a value"),
    ("c=US;a=/;dda:SMTP={v};", "; form with a / inside a value"),
    (" /c=US/dda:SMTP={v}/", "a blank before the slash: the other reading finds it"),
    ("/c=US;dda:SMTP={v}", "starts with / but ;-separated: the other reading finds it"),
    ("c=US;garbage;dda:SMTP={v}", "a field without = is skipped"),
    ("c=US;;;dda:SMTP={v};;", "empty fields"),
    ("dda:SMTP=;dda:SMTP={v}", "an empty decoy first"),
    ("dda:SMTP= ;dda:SMTP={v}", "a blank decoy first"),
    ("c=US;dda:SMTP=x;dda:RFC-822={v}", "a plain address, then one that routes"),
]
for template, note in KEYS:
    for written, mapped, how in [("victim@elsewhere.com", T, "raw @"), ("victim(a)elsewhere.com", T, "(a)")]:
        x400(template.format(v=written), "reroute", mapped, f"{note}, {how}")
for template, note in [("c=US;dda:SMTP={v};", "; form"), ("/c=US/dda:SMTP={v}/", "/ form")]:
    x400(template.format(v="victim(a)elsewhere.com"), "reroute", T, f"{note}, ; and : raw", raw=True)
for spelling in ["x400", "X+34+30+30", "X400"]:
    x400(f"c=US;dda:RFC822=victim(a)elsewhere.com;s={spelling}", "reroute", T, "type spellings", spelling=spelling)
VALUES = [
    ("victim(a)elsewhere.com", T, "(a) is @"),
    ("victim(A)elsewhere.com", T, "(A): either case"),
    ("victim(064)elsewhere.com", T, "(064) is @"),
    ("victim(64)elsewhere.com", T, "(64): fewer digits"),
    ("victim(p)elsewhere.com", "victim%elsewhere.com", "(p) is %"),
    ("victim(037)elsewhere.com", "victim%elsewhere.com", "(037) is %"),
    ("elsewhere.com(b)victim", "elsewhere.com!victim", "(b) is !"),
    ("elsewhere.com(033)victim", "elsewhere.com!victim", "(033) is !"),
    ("(q)victim(a)x(q)(a)elsewhere.com", '"victim@x"@elsewhere.com', "(q) is a quote"),
    ("victim(l)c(r)(a)elsewhere.com", "victim(c)@elsewhere.com", "(l) and (r) are parentheses"),
    ("vic\\tim\\@elsewhere.com", T, "escapes in the value"),
    ("victim\\(a)elsewhere.com", T, "an escaped ( still maps"),
    ("victim\\;x(a)elsewhere.com", "victim;x@elsewhere.com", "an escaped separator"),
    ("a/b(a)elsewhere.com", "a/b@elsewhere.com", "a slash inside a ;-separated value"),
    ("a((a)elsewhere.com", "a(@elsewhere.com", "a lone ( before a mapping"),
    ("victim(a)elsewhere.com\\", "victim@elsewhere.com\\", "a trailing backslash is literal"),
]
for written, mapped, note in VALUES:
    x400(f"c=US;dda:SMTP={written}", "reroute", mapped, note)
DDA_TYPES = ["SMTP", "RFC-822", "RFC822", "INTERNET", "rfc-822", "Internet", "NOTES", "FAX", "MOBILE", "MSMAIL",
             "CCMAIL", "X400", "X500", "EX", "FOO"]
for dda_type in DDA_TYPES:
    for written, mapped in [("victim(a)elsewhere.com", T), ("victim(p)elsewhere.com", "victim%elsewhere.com")]:
        x400(f"c=US;a= ;p=Org;dda:{dda_type}={written};", "reroute", mapped, f"DDA:{dda_type}, whatever the type")
x400("c=US;dda=victim(a)elsewhere.com", "reroute", T, "a DDA without a type")
# What does not route: an ordinary O/R address, a DDA that names no other hop, mapped forms outside a DDA. With no
# DDA address, inner is the decoded body as written (escapes and all).
for body, note in [
    ("c=US;a= ;p=Org;o=Site;s=Smith;g=John;", "an ordinary O/R address"),
    ("/c=US/a= /p=Org/o=Site/s=Smith/", "an ordinary O/R address, slash form"),
    ("c=US;dda:FAX=5551234;", "a fax DDA without a routing character"),
    ("c=US;dda:NOTES=Bob Smith/Contoso;", "a Notes DDA without a domain"),
    ("c=US;s=victim(a)elsewhere.com", "(a) outside a DDA is a surname"),
    ("c=US;ddax:SMTP=victim(a)elsewhere.com", "ddax is not a DDA"),
    ("c=US;dda\\=x:SMTP=victim(a)elsewhere.com", "an escaped = stays in the key"),
    ("c=US;dda:FAX=victim(0064)elsewhere.com", "(0064) is not a mapping"),
    ("c=US;dda:FAX=victim(256)elsewhere.com", "(256) is not a byte"),
    ("c=US;dda:SMTP= \t;", "a blank DDA value is empty"),
]:
    x400(body, "pass", body, note + "; inner is the body")
# An internet-type DDA names an address even when it does not route: X400 is in imcea_reroute_types.
x400("c=US;dda:SMTP=victim", "reroute", "victim", "an SMTP DDA without a routing character")
x400("c=US;dda:SMTP=victim(0064)elsewhere.com", "reroute", "victim(0064)elsewhere.com", "(0064) left as written")
# Text that does not parse as an O/R address fails closed on its routing characters.
for body, note in [
    ("victim@elsewhere.com", "no fields at all"),
    ("c=US;s=victim@elsewhere.com", "@ outside a DDA"),
    ("c=US;victim%elsewhere.com", "a field without ="),
    ("==;=elsewhere.com!victim", "keys missing"),
    ("\\\\@", "only escapes"),
]:
    x400(body, "reroute", body, f"does not parse: {note}")

# 5. +HH edge cases in an SMTP body (a + without two hex digits stays literal; +00 is a kept NUL byte).
for body, inner, note in [
    ("victim+40elsewhere+2ecom", "victim@elsewhere.com", "lowercase hex"),
    ("victim+40elsewhere+2Ecom+4", "victim@elsewhere.com+4", "truncated +4 at the end"),
    ("victim+4+40elsewhere+2Ecom", "victim+4@elsewhere.com", "truncated +4 before an escape"),
    ("victim+4", "victim+4", "+4 and nothing else: no @ at all"),
    ("victim+ZZ+40elsewhere+2Ecom", "victim+ZZ@elsewhere.com", "+ZZ"),
    ("victim+4G+40elsewhere+2Ecom", "victim+4G@elsewhere.com", "+4G: one hex digit"),
    ("victim+G4+40elsewhere+2Ecom", "victim+G4@elsewhere.com", "+G4"),
    ("victim+00+40elsewhere+2Ecom", "victim\0@elsewhere.com", "+00 is kept, not a terminator"),
    ("+00victim+40elsewhere+2Ecom", "\0victim@elsewhere.com", "+00 first"),
    ("victim+40elsewhere+2Ecom+00", "victim@elsewhere.com\0", "+00 last"),
    ("victim++40elsewhere+2Ecom", "victim+@elsewhere.com", "literal + then an escape"),
    ("victim+2Btag+40elsewhere+2Ecom", "victim+tag@elsewhere.com", "escaped +"),
    ("victim+40elsewhere+2Ecom+", "victim@elsewhere.com+", "trailing +"),
    ("+", "+", "only a +"),
    ("victim+FF+40elsewhere+2Ecom", "victim\ufffd@elsewhere.com", "invalid UTF-8 byte becomes U+FFFD"),
    ("victim+C3+40elsewhere+2Ecom", "victim\ufffd@elsewhere.com", "truncated UTF-8 sequence"),
    ("victim+2540elsewhere+2Ecom", "victim%40elsewhere.com", "+25 then 40: decoded once only"),
    ("victim+2B40elsewhere+2B2Ecom", "victim+40elsewhere+2Ecom", "an escaped escape is not decoded twice"),
    ("victim+40elsewhere+2Ecom+40corp+2Eexample", "victim@elsewhere.com@corp.example", "body itself routed"),
    ("victim+25elsewhere+2Ecom+40corp+2Eexample", "victim%elsewhere.com@corp.example", "body is a percent hack"),
    ("", "", "empty body"),
]:
    row("imcea-hex", imcea("SMTP", body), "imcea", "reroute", inner, "SMTP", 1, note=note)
for body, inner, note in [
    ("_O=CONTOSO+ZZ_CN=bob", "/O=CONTOSO+ZZ/CN=bob", "+ZZ in EX"),
    ("_O=CONTOSO_CN=bob+4", "/O=CONTOSO/CN=bob+4", "+4 in EX"),
    ("_O=CONTOSO+00_CN=bob", "/O=CONTOSO\0/CN=bob", "+00 in EX"),
]:
    row("imcea-hex", imcea("EX", body), "imcea", "pass", inner, "EX", 1, note=note)

# 6. `_` is `/`; `+5F` is a real underscore.
for body, inner in [
    ("a_b+40elsewhere+2Ecom", "a/b@elsewhere.com"),
    ("a+5Fb+40elsewhere+2Ecom", "a_b@elsewhere.com"),
    ("__victim+40elsewhere+2Ecom", "//victim@elsewhere.com"),
    ("victim+40elsewhere+2Ecom_", "victim@elsewhere.com/"),
    ("_", "/"),
    ("victim+40elsewhere_com", "victim@elsewhere/com"),
]:
    row("imcea-underscore", imcea("SMTP", body), "imcea", "reroute", inner, "SMTP", 1)
row("imcea-underscore", imcea("EX", "_O=A_B_CN=c"), "imcea", "pass", "/O=A/B/CN=c", "EX", 1)
row("imcea-underscore", imcea("_SMTP", V), "imcea", "reroute", "victim@elsewhere.com", "/SMTP", 1,
    note="an underscore in the type makes another type, whose payload routes")

# 7. UTF8- bodies: the marker (any case) goes, once; the escaped bytes are UTF-8.
for marker in ["UTF8-", "utf8-", "Utf8-", "uTF8-"]:
    for target in ["jürgen@bücher.example", "victim@elsewhere.com", "δοκιμή@παράδειγμα.δοκιμή"]:
        row("imcea-utf8", imcea("SMTP", marker + encode(target)), "imcea", "reroute", target, "SMTP", 1)
row("imcea-utf8", imcea("SMTP", "UTF8-"), "imcea", "reroute", "", "SMTP", 1, note="marker and nothing else")
row("imcea-utf8", imcea("SMTP", "UTF8-UTF8-" + V), "imcea", "reroute", "UTF8-victim@elsewhere.com", "SMTP", 1,
    note="only one marker goes")
row("imcea-utf8", imcea("SMTP", "UTF8" + V), "imcea", "reroute", "UTF8victim@elsewhere.com", "SMTP", 1,
    note="no dash: body text")
row("imcea-utf8", imcea("SMTP", "UTF+38-" + V), "imcea", "reroute", "UTF8-victim@elsewhere.com", "SMTP", 1,
    note="an escaped marker is body text")
row("imcea-utf8", imcea("EX", "UTF8-_O=M+C3+9CLLER_CN=bob"), "imcea", "pass", "/O=MÜLLER/CN=bob", "EX", 1)
row("imcea-utf8", imcea("SMTP", "jürgen+40elsewhere+2Ecom"), "imcea", "reroute", "jürgen@elsewhere.com", "SMTP", 1,
    note="raw UTF-8 in the body")

# 8. Nesting: SMTP in SMTP up to the limit (8 layers) and past it; other types at the bottom.
def wrapped(depth, bottom="victim@elsewhere.com"):
    address = bottom
    for _ in range(depth):
        address = smtp_wrap(address)
    return address


for depth in range(2, 9):
    row("imcea-nested", wrapped(depth), "imcea", "reroute", "victim@elsewhere.com", "SMTP", depth)
for depth in [9, 10, 12, 16]:
    row("imcea-nested", wrapped(depth), "imcea", "denyall", wrapped(depth - 8), "SMTP", "8+",
        columns=("reject:imcea-reject-type",) * 3,
        note="past the depth limit: inner is the undecoded rest; what cannot be seen is rejected for every client")
X500_BOTTOM = "IMCEAX500-_O=CONTOSO_CN=bob@corp.example"
row("imcea-nested", wrapped(1, X500_BOTTOM), "imcea", "rejecttype", "/O=CONTOSO/CN=bob", "SMTP", 2,
    note="X500 inside SMTP: rule 1 wins over reroute")
row("imcea-nested", wrapped(7, X500_BOTTOM), "imcea", "rejecttype", "/O=CONTOSO/CN=bob", "SMTP", 8,
    note="X500 at the deepest layer still decoded")
row("imcea-nested", wrapped(8, X500_BOTTOM), "imcea", "denyall", wrapped(0, X500_BOTTOM), "SMTP", "8+",
    columns=("reject:imcea-reject-type", "reject:imcea-reject-type", "reject:imcea-reject-type"),
    note="X500 one layer past the limit: nesting too deep to see is rejected for every client (was finding F2)")
row("imcea-nested", wrapped(1, "IMCEAINVALID-x@corp.example"), "imcea", "rejecttype", "x", "SMTP", 2)
row("imcea-nested", wrapped(1, "IMCEAEX-_O=CONTOSO_CN=bob@corp.example"), "imcea", "reroute", "/O=CONTOSO/CN=bob",
    "SMTP", 2, note="outer SMTP makes it a reroute attempt")
row("imcea-nested", imcea("X400", "c=US;dda+3ASMTP=" + encode(smtp_wrap("victim@elsewhere.com"))), "imcea",
    "reroute", "victim@elsewhere.com", "X400", 2)
row("imcea-nested", imcea("EX", encode(smtp_wrap("victim@elsewhere.com"))), "imcea", "reroute",
    smtp_wrap("victim@elsewhere.com"), "EX", 1, note="an EX body never nests, but this one carries an @")
row("imcea-nested", imcea("SMTP", encode("<" + smtp_wrap("victim@elsewhere.com") + ">")), "imcea", "reroute",
    "victim@elsewhere.com", "SMTP", 2, note="nested address in angle brackets")
row("imcea-nested", imcea("SMTP", encode('"' + "IMCEASMTP-victim+40elsewhere+2Ecom" + '"@corp.example')), "imcea",
    "reroute", "victim@elsewhere.com", "SMTP", 2, note="nested quoted IMCEA")

# 9. Quoted local parts.
for recipient, form, cls, inner, note in [
    ('"IMCEASMTP-victim+40elsewhere+2Ecom"@corp.example', "imcea", "reroute", "victim@elsewhere.com", ""),
    ('"imceasmtp-victim+40elsewhere+2ecom"@corp.example', "imcea", "reroute", "victim@elsewhere.com", ""),
    ('"IMCEAX500-_O=X_CN=y"@corp.example', "imcea", "rejecttype", "/O=X/CN=y", ""),
    ('"IMCEA"SMTP-victim+40elsewhere+2Ecom@corp.example', "imcea", "reroute", "victim@elsewhere.com",
     "quotes around part of the local part"),
    ('IMCEA"SMTP"-victim+40elsewhere+2Ecom@corp.example', "imcea", "reroute", "victim@elsewhere.com", ""),
    ('"john doe"@corp.example', "plain", "pass", None, ""),
    ('"a\\"b"@corp.example', "plain", "pass", None, "escaped quote"),
    ('""@corp.example', "plain", "pass", None, ""),
    ('"victim@elsewhere.com"@corp.example', "quoted-local-part", "reroute", "victim@elsewhere.com", ""),
    ('"victim%elsewhere.com"@corp.example', "quoted-local-part", "reroute", "victim@elsewhere.com", ""),
    ('"elsewhere.com!victim"@corp.example', "quoted-local-part", "reroute", "victim@elsewhere.com", ""),
    ('"victim\\@elsewhere.com"@corp.example', "quoted-local-part", "reroute", "victim@elsewhere.com", "escaped @"),
    ('"victim"@elsewhere.com@corp.example', "quoted-local-part", "reroute", "victim@elsewhere.com", ""),
    ('"victim@elsewhere.com', "quoted-local-part", "reroute", "victim@elsewhere.com", "unterminated quote"),
    ('<"victim@elsewhere.com">', "quoted-local-part", "reroute", "victim@elsewhere.com", "no outer domain"),
    ('"\\"victim@elsewhere.com\\"@hop"@corp.example', "quoted-local-part", "reroute", "victim@elsewhere.com",
     "quoted address inside quotes"),
    ('v"ict"im%elsewhere.com@corp.example', "quoted-local-part", "reroute", "victim@elsewhere.com",
     "quotes mid local part"),
    ('victim"@"elsewhere.com@corp.example', "quoted-local-part", "reroute", "victim@elsewhere.com",
     "quoted @ mid local part"),
]:
    if form == "imcea":
        kind = "X500" if "X500" in recipient else "SMTP"
        row("quoted", recipient, form, cls, inner, kind, 1, note=note)
    else:
        row("quoted", recipient, form, cls, inner, note=note)

# 10. Percent hack, bang paths, source routes, several @, and their mixtures.
for recipient, form, inner, note in [
    ("victim%elsewhere.com@corp.example", "percent-hack", "victim@elsewhere.com", ""),
    ("VICTIM%ELSEWHERE.COM@CORP.EXAMPLE", "percent-hack", "VICTIM@ELSEWHERE.COM", ""),
    ("victim%elsewhere.com%hop.example@corp.example", "percent-hack", "victim@elsewhere.com", "two hops"),
    ("victim%elsewhere.com", "percent-hack", "victim@elsewhere.com", "no domain"),
    ("victim%elsewhere.com@", "percent-hack", "victim@elsewhere.com", "empty domain"),
    ("%elsewhere.com@corp.example", "percent-hack", "@elsewhere.com", "empty user"),
    ("elsewhere.com!victim@corp.example", "bang-path", "victim@elsewhere.com", ""),
    ("elsewhere.com!victim", "bang-path", "victim@elsewhere.com", "no domain"),
    ("hop.example!elsewhere.com!victim@corp.example", "bang-path", "victim@elsewhere.com", "two hops"),
    ("elsewhere.com!victim%other.example@corp.example", "bang-path", "victim@other.example",
     "bang then percent: swap_bangpath first"),
    ("@hop.example:victim@elsewhere.com", "source-route", "victim@elsewhere.com", ""),
    ("<@hop1.example,@hop2.example:victim@elsewhere.com>", "source-route", "victim@elsewhere.com", ""),
    ("@hop.example:victim%elsewhere.com@corp.example", "source-route", "victim@elsewhere.com", ""),
    ("@hop.example:elsewhere.com!victim@corp.example", "source-route", "victim@elsewhere.com", ""),
    ("@a.example:@b.example:victim@elsewhere.com", "source-route", "victim@elsewhere.com", "route in a route"),
    ("@hop.example:postmaster", "source-route", "postmaster", "route to a bare user"),
    ("@corp.example:victim@elsewhere.com", "source-route", "victim@elsewhere.com", "route through ourselves"),
    ("victim@elsewhere.com@corp.example", "multiple-at", "victim@elsewhere.com", ""),
    ("victim@elsewhere.com@hop.example@corp.example", "multiple-at", "victim@elsewhere.com", "three @"),
    ("victim%elsewhere.com@hop.example@corp.example", "multiple-at", "victim@elsewhere.com", ""),
    ("%", "percent-hack", "@", "lone %"),
    ("!", "bang-path", "@", "lone !"),
    ("@@", "multiple-at", "@", "@@"),
]:
    row("routed", recipient, form, "reroute", inner, note=note)

# 11. What open-relay scanners try (the classic relay-test list), at each of our names.
SCANNER_TARGETS = [("victim", "elsewhere.com"), ("relaytest", "[198.51.100.7]")]
SCANNER_HOSTS = ["corp.example", "[192.0.2.25]", "[IPv6:2001:db8::25]"]
for to, dom in SCANNER_TARGETS:
    for host in SCANNER_HOSTS:
        families = [
            (f"{to}%{dom}@{host}", "percent-hack", f"{to}@{dom}"),
            (f'"{to}@{dom}"@{host}', "quoted-local-part", f"{to}@{dom}"),
            (f"@{host}:{to}@{dom}", "source-route", f"{to}@{dom}"),
            (f"<@{host}:{to}@{dom}>", "source-route", f"{to}@{dom}"),
            (f"{dom}!{to}@{host}", "bang-path", f"{to}@{dom}"),
            (f"{to}@{dom}@{host}", "multiple-at", f"{to}@{dom}"),
            (f'"{to}%{dom}"@{host}', "quoted-local-part", f"{to}@{dom}"),
            (f'"{dom}!{to}"@{host}', "quoted-local-part", f"{to}@{dom}"),
            (f"{dom}!{to}%other.example@{host}", "bang-path", f"{to}@other.example"),
            (f"{to}%{dom}%{host}@{host}", "percent-hack", f"{to}@{dom}"),
            (f"<{to}%{dom}@{host}>", "percent-hack", f"{to}@{dom}"),
            (f"@{host}:{to}%{dom}@{host}", "source-route", f"{to}@{dom}"),
        ]
        for recipient, form, inner in families:
            row("scanner", recipient, form, "reroute", inner)
    row("scanner", f"{to}%{dom}", "percent-hack", "reroute", f"{to}@{dom}")
    row("scanner", f"{dom}!{to}", "bang-path", "reroute", f"{to}@{dom}")
    row("scanner", f'"{to}@{dom}"', "quoted-local-part", "reroute", f"{to}@{dom}")
    row("scanner", f"{to}@{dom}", "plain", "pass", None, note="plain relaying is Postfix's job (no local_domains)")

# 12. Routing syntax in the local part of an IMCEA address whose type is not a reroute type. The outer address routes
# whatever its local part starts with (Postfix resolves `IMCEAEX-victim%elsewhere.com@corp` to
# `IMCEAEX-victim@elsewhere.com`), so by the README's rule 2 it is a reroute attempt.
for recipient, layer_type, inner in [
    ("IMCEAEX-victim%elsewhere.com@corp.example", "EX", "victim%elsewhere.com"),
    ("IMCEAEX-elsewhere.com!victim@corp.example", "EX", "elsewhere.com!victim"),
    ("IMCEAEX-victim@elsewhere.com@corp.example", "EX", "victim@elsewhere.com"),
    ("IMCEAFAX-victim%elsewhere.com@corp.example", "FAX", "victim%elsewhere.com"),
    ("IMCEA-victim%elsewhere.com@corp.example", "", "victim%elsewhere.com"),
    ("IMCEAFOO-victim@elsewhere.com@corp.example", "FOO", "victim@elsewhere.com"),
    ('"IMCEAEX-victim@elsewhere.com"@corp.example', "EX", "victim@elsewhere.com"),
    ("@hop.example:IMCEAEX-victim%elsewhere.com@corp.example", "EX", "victim%elsewhere.com"),
]:
    row("imcea-routed", recipient, "imcea", "reroute", inner, layer_type, 1,
        note="raw routing syntax in an IMCEA local part is a reroute attempt (was finding F1)")
row("imcea-routed", "@hop.example:IMCEASMTP-victim+40elsewhere+2Ecom@corp.example", "imcea", "reroute",
    "victim@elsewhere.com", "SMTP", 1, note="source route before IMCEA SMTP")
row("imcea-routed", "victim%IMCEASMTP-x+40y@corp.example", "percent-hack", "reroute", "victim@IMCEASMTP-x+40y",
    note="percent hack before an IMCEA-looking part")

# 13. SMTPUTF8 addresses.
for recipient, form, cls, inner in [
    ("üser@exämple.com", "plain", "pass", None),
    ("<用户@例子.广告>", "plain", "pass", None),
    ("δοκιμή@παράδειγμα.δοκιμή", "plain", "pass", None),
    ("jürgen%bücher.example@corp.example", "percent-hack", "reroute", "jürgen@bücher.example"),
    ("bücher.example!jürgen@corp.example", "bang-path", "reroute", "jürgen@bücher.example"),
    ('"jürgen@bücher.example"@corp.example', "quoted-local-part", "reroute", "jürgen@bücher.example"),
    ("@bücher.example:jürgen@corp.example", "source-route", "reroute", "jürgen@corp.example"),
    ("victim＠elsewhere.com@corp.example", "plain", "pass", None),
    ("victim％elsewhere.com@corp.example", "plain", "pass", None),
]:
    row("smtputf8", recipient, form, cls, inner, note="fullwidth sign is not a routing mark" if "＠" in recipient
        or "％" in recipient else "")
row("smtputf8", "IMCEАSMTP-victim+40elsewhere+2Ecom@corp.example", "plain", "pass", None,
    note="Cyrillic A: not the IMCEA prefix")
row("smtputf8", imcea("SMTPü", V), "imcea", "reroute", "victim@elsewhere.com", "SMTPü", 1,
    note="not SMTP, but its payload routes")
row("smtputf8", imcea("SMTP", "j+C3+BCrgen+40b+C3+BCcher+2Eexample"), "imcea", "reroute", "jürgen@bücher.example",
    "SMTP", 1, note="UTF-8 escapes without the UTF8- marker")

# 14. Overlong local parts.
for length in [64, 65, 255, 256, 1000, 4096]:
    row("overlong", "a" * length + "@corp.example", "plain", "pass", None, note=f"{length}-byte local part")
for length in [64, 1000, 4096]:
    row("overlong", "x" * length + "%elsewhere.com@corp.example", "percent-hack", "reroute",
        "x" * length + "@elsewhere.com")
    row("overlong", imcea("SMTP", "+41" * length + "+40elsewhere+2Ecom"), "imcea", "reroute",
        "A" * length + "@elsewhere.com", "SMTP", 1)


def followed(address, hops=32):
    """Where a routed address (no quotes, no source route) leads after at most `hops` rewrites, as the decoder's inner
    reports it (Sources/RelayPolicy/Address/RoutedAddress.swift): Postfix's rewrites with swap_bangpath and
    allow_percent_hack on, bounded because every rewrite rescans the address."""
    assert '"' not in address and not address.startswith("@")
    for _ in range(hops):
        if "@" in address:
            local = address[:address.rindex("@")]
            if not any(ch in local for ch in "@%!"):
                return address
            address = local
        elif "!" in address:
            bang = address.index("!")
            address = address[bang + 1:] + "@" + address[:bang]
        elif "%" in address:
            percent = address.rindex("%")
            address = address[:percent] + "@" + address[percent + 1:]
        else:
            return address
    return address


for recipient, form, note in [
    ("a%" * 200 + "@corp.example", "percent-hack", "long percent chain: inner is where the hop limit stops"),
    ("a@" * 200 + "corp.example", "multiple-at", "long @ chain: inner is where the hop limit stops"),
    ("b!" * 200 + "a@corp.example", "bang-path", "long bang chain: inner is where the hop limit stops"),
]:
    row("overlong", recipient, form, "reroute", followed(recipient), note=note)
row("overlong", "@h:" * 200 + "a@corp.example", "source-route", "reroute", "a@corp.example", note="long route chain")

# 15. Null, empty and whitespace.
for recipient, recipient_form in [("<>", "null"), ("", "null"), ("< >", "null"), ("  <>  ", "null"),
                                  ("\t<>\r\n", "null"), ("@", "null"), ("<@>", "null"), (" ", "null")]:
    row("null", recipient, recipient_form, "pass", None)
for recipient, form, cls, inner, kind in [
    (" <IMCEASMTP-victim+40elsewhere+2Ecom@corp.example> ", "imcea", "reroute", "victim@elsewhere.com", "SMTP"),
    ("<\tIMCEASMTP-victim+40elsewhere+2Ecom@corp.example\t>", "imcea", "reroute", "victim@elsewhere.com", "SMTP"),
    ("IMCEASMTP-victim+40elsewhere+2Ecom@corp.example\r\n", "imcea", "reroute", "victim@elsewhere.com", "SMTP"),
    ("< victim%elsewhere.com@corp.example >", "percent-hack", "reroute", "victim@elsewhere.com", None),
    ("\r\n@hop.example:victim@elsewhere.com", "source-route", "reroute", "victim@elsewhere.com", None),
    ("alice@corp.example ", "plain", "pass", None, None),
]:
    row("whitespace", recipient, form, cls, inner, kind, 1 if kind else 0)

# 16. Stray and doubled brackets.
for recipient, form, cls, inner, kind, finding, note in [
    ("<IMCEASMTP-victim+40elsewhere+2Ecom@corp.example", "imcea", "reroute", "victim@elsewhere.com", "SMTP", "-",
     "unbalanced <"),
    ("IMCEASMTP-victim+40elsewhere+2Ecom@corp.example>", "imcea", "reroute", "victim@elsewhere.com", "SMTP", "-",
     "unbalanced >"),
    ("<victim%elsewhere.com@corp.example", "percent-hack", "reroute", "victim@elsewhere.com", None, "-", ""),
    ("<", "null", "pass", None, None, "-", ""),
    (">", "null", "pass", None, None, "-", ""),
    ("<<>>", "plain", "pass", None, None, "-", "brackets strip once"),
    ("<alice@corp.example>>", "plain", "pass", None, None, "-", ""),
]:
    row("brackets", recipient, form, cls, inner, kind, 1 if kind else 0, finding=finding, note=note)

# 17. RFC 822 syntax in the RCPT argument. Postfix parses the argument as an RFC 822 address (tok822): it drops
# comments, takes the route address after a phrase, drops nested brackets and a leading `,`, and removes backslash
# quoting, then delivers IMCEASMTP-victim+40elsewhere+2Ecom@corp.example (verified end to end in
# HostileRecipientTests). The recipient is therefore IMCEA SMTP, whatever the raw text looks like.
for recipient in [
    "<<IMCEASMTP-victim+40elsewhere+2Ecom@corp.example>>",
    "<x<IMCEASMTP-victim+40elsewhere+2Ecom@corp.example>>",
    "<Joe <IMCEASMTP-victim+40elsewhere+2Ecom@corp.example>>",
    '<"Joe" <IMCEASMTP-victim+40elsewhere+2Ecom@corp.example>>',
    "<(c)IMCEASMTP-victim+40elsewhere+2Ecom@corp.example>",
    "<IMCEA\\SMTP-victim+40elsewhere+2Ecom@corp.example>",
    "<\\IMCEASMTP-victim+40elsewhere+2Ecom@corp.example>",
    "<,IMCEASMTP-victim+40elsewhere+2Ecom@corp.example>",
]:
    row("rfc822", recipient, "imcea", "reroute", "victim@elsewhere.com", "SMTP", 1,
        note="decided with Postfix's parsed {rcpt_addr} as well as the raw text (was finding F3)")

# 18. Ordinary recipients that must pass.
for recipient in [
    "alice@corp.example", "<alice@corp.example>", "Alice.Smith@CORP.EXAMPLE", "alice+tag@corp.example",
    "postmaster", "<postmaster>", "postmaster@[192.0.2.25]", "<bob@[IPv6:2001:db8::25]>", "o'brien@corp.example",
    "a=b@corp.example", "first-last@corp.example", "imcea@corp.example", "IMCEASMTP@corp.example",
    "xIMCEASMTP-victim+40elsewhere+2Ecom@corp.example", "bob.IMCEASMTP-victim+40elsewhere+2Ecom@corp.example",
    "victim+40elsewhere+2Ecom@corp.example", "@corp.example", "alice@", "user_name@corp.example",
    "{ok}#$&*?^`|~@corp.example", "a.b.c.d@sub.corp.example", "1234567890@corp.example",
]:
    row("plain", recipient, "plain", "pass", None)


def main():
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "recipients.tsv")
    columns = ["id", "family", "recipient", "form", "type", "layers", "inner", "default", "inside", "outside",
               "finding", "note"]
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        out.write("# Generated by generate.py; edit the generator, not this file. Columns: see generate.py.\n")
        out.write("\t".join(columns) + "\n")
        for r in ROWS:
            out.write("\t".join(escape(r[c]) for c in columns) + "\n")
    print(f"{len(ROWS)} rows -> {path}")


if __name__ == "__main__":
    main()
