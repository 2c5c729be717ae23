"""Hypothesis strategies for the whole-server fuzzer: a grammar of HTTP/1.x requests (and of
HTTP/2 requests as h2 frames), then byte mutations of what the grammar rendered.

Long runs of bytes (overlong targets, header lines, bodies) are drawn as a byte and a count,
so a case stays far below Hypothesis' buffer limit whatever its rendered size.
"""
from __future__ import annotations

from hypothesis import strategies as st

PARTNER = "https://app.partner.example"

# ---------------------------------------------------------------- pieces
# Named functions, not lambdas, in builds() and map(): Hypothesis describes every function
# it calls, and describing a lambda (reading its source) costs more than the request.


def _repeat(byte: int, count: int) -> bytes:
    return bytes([byte]) * count


def _join(parts) -> bytes:
    return b"".join(parts)


def _chunk(data: bytes) -> bytes:
    return b"%x\r\n" % len(data) + data + b"\r\n"


def weighted(common, times: int, *rare):
    """`common` drawn about `times` times as often as each of `rare`, so that most cases stay
    close enough to a valid request to reach the module's logic. (one_of() does not weigh:
    it explores its distinct branches evenly; sampled_from() keeps repeated entries.)"""
    branches = [common, *rare]

    def branch(index: int):
        return branches[index]
    return st.sampled_from([0] * times + list(range(1, len(branches)))).flatmap(branch)


def cat(*parts):
    """The concatenation of what each strategy draws."""
    return st.tuples(*parts).map(_join)


def repeated(byte_choices: bytes, lo: int, hi: int):
    """A run of one byte repeated lo..hi times (8 KB targets, 5 KB header values...)."""
    return st.builds(_repeat, st.sampled_from(list(byte_choices)), st.integers(min_value=lo, max_value=hi))


TOKEN = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_!#$%&'*+.^`|~",
                min_size=1, max_size=20).map(str.encode)
SMALL_BYTES = st.binary(min_size=0, max_size=24)
INTERESTING = [b"\x00", b"\r", b"\n", b"\r\n", b" ", b"\t", b":", b",", b"\xff", b"\x7f", b"%00", b"%0d%0a",
               b"\xc3\xa9", b"\\", b"/", b"..", b"*", b"?", b"#", b"@", b"\x1b", b"\x08", b"\x0b", b"\x0c"]
EOL = st.sampled_from([b"\r\n"] * 60 + [b"\n", b"\r", b"\n\r", b"\r\r\n", b""])

METHODS = [b"GET", b"POST", b"PUT", b"DELETE", b"OPTIONS", b"HEAD", b"PATCH", b"CONNECT", b"TRACE",
           b"PRI", b"PROPFIND", b"BREW", b"get", b"Get", b"OPTIONS ", b"G\x00ET", b"", b"\x16\x03\x01"]
METHOD = weighted(st.sampled_from([b"GET", b"POST", b"OPTIONS"] * 6 + METHODS[:7]), 40,
                  st.sampled_from(METHODS), TOKEN, SMALL_BYTES, repeated(b"AZ", 100, 9000))

PATHS = ["/", "/app/", "/app/static.txt", "/app/api.php", "/app/env.php", "/app/record.php",
         "/app/star.php", "/app/vary.php", "/app/fatal.php", "/app/stream.php", "/app/missing.php",
         "/loc/api.php", "/loc/static.txt", "/loc/", "/dir/api.php", "/dir/", "/dir/missing.txt",
         "/files/api.php", "/files/static.txt", "/files/", "/fc/", "/fc/users/42", "/fc/index.php",
         "/ht/", "/ht/users/42", "/ht/index.php", "/nowhere", "/server-status", "//app//api.php",
         "/app/../app/api.php", "/app/%2e%2e/app/api.php", "/app/api.php/extra/path"]
PATH_BYTES = [p.encode() for p in PATHS]
QUERIES = [b"", b"?id=1", b"?a=b&c=d", b"?" + b"q" * 300, b"?%00", b"?x=%0d%0aSet-Cookie:a"]
PATH = st.sampled_from(PATH_BYTES)
TARGET = weighted(
    cat(PATH, st.sampled_from([b""] * 6 + QUERIES)), 30,
    cat(st.sampled_from([b"http", b"https", b"HTTP", b"ftp", b""]),
        st.just(b"://"),
        st.sampled_from([b"127.0.0.1", b"localhost", b"127.0.0.1:1", b"evil.example", b"[::1]",
                         b"user@127.0.0.1", b""]),
        PATH),                                                          # absolute-form
    st.sampled_from([b"*", b"127.0.0.1:443", b"evil.example:80", b"", b"app/api.php", b"?", b"#x"]),
    cat(st.just(b"/"), repeated(b"a/%", 7000, 9000)),                # around LimitRequestLine
    cat(PATH, st.sampled_from(INTERESTING), st.sampled_from([b"", b"x", b"/api.php"])),
    SMALL_BYTES,
)
VERSION = st.sampled_from([b" HTTP/1.1"] * 60 + [b" HTTP/1.0"] * 6 + [
    b"", b" HTTP/0.9", b" HTTP/2.0", b" HTTP/1.2", b" HTTP/9.9", b" http/1.1", b" HTTP/1.1 extra",
    b"  HTTP/1.1", b" HTTP/01.1", b" HTTP/1.10", b" HTTP/", b" HTTP/1.1\x00", b"\tHTTP/1.1"])

ORIGINS = [PARTNER, "https://api.partner.example", "https://evil.example", "null", "http://127.0.0.1",
           "https://app.partner.example/", "https://app.partner.example:443", "https://app.partner.example:0",
           "https://app.partner.example:99999", "https://user@app.partner.example",
           "https://app.partner.example.evil.test", "HTTPS://APP.PARTNER.EXAMPLE", "file://", "*", "",
           "https://[::1]", "https://[::1", "https://app.partner.example\x00.evil", "https://\xe9.example",
           "https://app.partner.example, https://evil.example", " https://app.partner.example "]
ORIGIN_VALUE = st.one_of(st.sampled_from([o.encode("utf-8") for o in ORIGINS[:4] * 8 + ORIGINS]),
                         cat(st.just(b"https://"), repeated(b"a.", 200, 3000), st.just(b".example")),
                         SMALL_BYTES)
ACRM_VALUE = st.one_of(st.sampled_from([b"GET", b"POST", b"PUT", b"DELETE", b"PATCH", b"put", b"",
                                        b"CONNECT", b"G ET", b"POST, PUT"]), TOKEN, SMALL_BYTES)
ACRH_VALUE = st.one_of(st.sampled_from([b"content-type", b"X-Requested-With", b"authorization",
                                        b"x-a, x-b ,, x-c", b"", b"*", b",", b"content-type\x00x"]),
                       repeated(b"a,", 100, 5000), SMALL_BYTES)
CONTENT_LENGTH = st.sampled_from([b"0", b"3", b"10", b"5000", b"-1", b"99999999999", b"1e3", b" 4",
                                  b"0x10", b"184467440737095516160", b"", b"4, 4"])
TRANSFER_ENCODING = st.sampled_from([b"chunked", b"gzip, chunked", b"chunked, chunked", b"identity",
                                     b"gzip", b"CHUNKED", b" chunked", b"chunked\x00", b"xchunked"])


def header(name: bytes, value) -> st.SearchStrategy:
    return cat(st.just(name), st.sampled_from([b": "] * 12 + [b":", b" : ", b":\t", b"", b"::"]), value)


HEADER_LINE = st.one_of(
    header(b"Origin", ORIGIN_VALUE),
    header(b"Origin", ORIGIN_VALUE),
    header(b"Access-Control-Request-Method", ACRM_VALUE),
    header(b"Access-Control-Request-Headers", ACRH_VALUE),
    header(b"Access-Control-Request-Private-Network", st.sampled_from([b"true", b"false", b""])),
    header(b"Content-Length", CONTENT_LENGTH),
    header(b"Transfer-Encoding", TRANSFER_ENCODING),
    header(b"Expect", st.sampled_from([b"100-continue", b"100-Continue", b"200-ok", b""])),
    header(b"Connection", st.sampled_from([b"close", b"keep-alive", b"Upgrade", b"TE"])),
    header(b"Upgrade", st.sampled_from([b"h2c", b"websocket", b"HTTP/2.0"])),
    header(b"HTTP2-Settings", st.sampled_from([b"AAMAAABkAAQAoAAAAAIAAAAA", b"!!", b""])),
    header(b"Content-Type", st.sampled_from([b"application/json", b"text/plain",
                                             b"application/x-www-form-urlencoded", b"multipart/form-data"])),
    header(b"Cookie", st.sampled_from([b"a=b", b"PHPSESSID=1"])),
    header(b"Authorization", st.sampled_from([b"Basic YWxpY2U6d29uZGVybGFuZA==", b"Bearer x"])),
    header(b"Range", st.sampled_from([b"bytes=0-1", b"bytes=5-1", b"bytes=" + b"0-1," * 200])),
    header(b"X-Long", repeated(b"ab", 1000, 5000)),                  # around LimitRequestFieldSize
    cat(TOKEN, st.just(b": "), SMALL_BYTES),
    cat(SMALL_BYTES, st.just(b": "), SMALL_BYTES),
    st.sampled_from([b" folded continuation", b"\tfolded", b"NoColon", b":empty-name", b""]),
)
COMMON_HEADER_LINES = [
    b"Access-Control-Request-Method: PUT", b"Access-Control-Request-Method: POST",
    b"Access-Control-Request-Method: DELETE", b"Access-Control-Request-Headers: content-type",
    b"Access-Control-Request-Headers: x-requested-with, authorization", b"Content-Type: application/json",
    b"Content-Length: 0", b"Accept: */*", b"Connection: close", b"Cookie: a=b", b"Accept-Encoding: gzip",
    b"Origin: https://evil.example", b"Origin: null", b"Access-Control-Request-Private-Network: true"]
COMMON_HEADER = st.sampled_from(COMMON_HEADER_LINES)
HOST = st.sampled_from([b"Host: 127.0.0.1", b"Host: localhost", b"Host: 127.0.0.1:1", b"Host: evil.example",
                        b"Host: ", b"Host: a b", b"Host: [::1]", b"Host: 127.0.0.1\x00", b"Host: " + b"h" * 300,
                        None, None, b"Host: 127.0.0.1\r\nHost: localhost"] + [b"Host: 127.0.0.1"] * 12)


def chunked_body():
    chunk = st.one_of(
        st.binary(max_size=40).map(_chunk),
        st.sampled_from([b"zz\r\nabc\r\n", b"-1\r\n", b"ffffffffffffffffff\r\nab\r\n", b"3\r\nabcdef\r\n",
                         b"3;ext=1\r\nabc\r\n", b"3 \r\nabc\r\n", b"\r\n", b"0x3\r\nabc\r\n", b"3\nabc\n"]),
    )
    end = st.sampled_from([b"0\r\n\r\n", b"0\r\nTrailer: x\r\n\r\n", b"", b"0\r\n", b"0\r\nX: " + b"t" * 9000 + b"\r\n\r\n"])
    return cat(st.lists(chunk, max_size=4).map(b"".join), end)


BODY = weighted(st.just(b""), 8, st.binary(max_size=64), repeated(b"a\x00", 1000, 20000), chunked_body())


@st.composite
def http1_request(draw) -> bytes:
    """One HTTP/1.x request from the grammar, rendered to bytes (before mutation)."""
    eol = draw(EOL)
    line = draw(METHOD) + draw(st.sampled_from([b" "] * 30 + [b"  ", b"\t", b""])) + draw(TARGET) + draw(VERSION)
    lines = [line]
    host = draw(HOST)
    if host is not None:
        lines.append(host)
    if draw(st.integers(0, 2)):            # most requests carry an Origin of the policy
        lines.append(b"Origin: " + draw(st.sampled_from([o.encode() for o in ORIGINS[:4]])))
    lines += draw(st.lists(weighted(COMMON_HEADER, 20, HEADER_LINE), max_size=6))
    many = draw(st.sampled_from([0] * 30 + [45, 49, 60, 120]))     # around LimitRequestFields
    lines += [b"X-F%d: v" % i for i in range(many)]
    head = eol.join(lines) + eol + eol
    if draw(st.integers(0, 9)) == 0:
        head = draw(st.sampled_from([b"", b"\r\n", b"\r\n\r\n", b"\x00\r\n\r\n", b"\n\n\n"])) + head
    return head + draw(BODY)


@st.composite
def mutated(draw, base) -> bytes:
    """`base` with 0..4 byte mutations: a bit flip, an interesting insertion, a deletion,
    a duplicated slice or a truncation."""
    data = bytearray(draw(base))
    for _ in range(draw(st.sampled_from([0] * 14 + [1, 1, 1, 2, 4, 8]))):
        if not data:
            data += draw(st.sampled_from(INTERESTING))
            continue
        pos = draw(st.integers(0, len(data) - 1))
        kind = draw(st.integers(0, 4))
        if kind == 0:
            data[pos] ^= 1 << draw(st.integers(0, 7))
        elif kind == 1:
            data[pos:pos] = draw(st.sampled_from(INTERESTING))
        elif kind == 2:
            del data[pos:pos + draw(st.integers(1, 16))]
        elif kind == 3:
            data[pos:pos] = data[pos:pos + draw(st.integers(1, 64))]
        else:
            del data[pos:]
    return bytes(data)


HTTP1_CASE = mutated(http1_request())

# ---------------------------------------------------------------- HTTP/2

H2_PATHS = PATH_BYTES * 3 + [b"*", b"", b"http://127.0.0.1/app/api.php", b"/app/\x00x",
                                          b"/" + b"a" * 9000]


COMMON_H2_HEADER = st.sampled_from([(n.lower(), v) for n, _, v in (
    line.partition(b": ") for line in COMMON_HEADER_LINES) if n.lower() != b"connection"])


@st.composite
def h2_request(draw) -> dict:
    """Headers (a list of (name, value) bytes, pseudo-headers included or not) and a body of
    one HTTP/2 stream; the fuzzer renders them to frames with the h2 library."""
    hdrs = []
    pseudo = {b":method": st.sampled_from([b"GET", b"POST", b"OPTIONS"] * 15 + [b"PUT", b"CONNECT", b"HEAD", b"",
                                                                             b"get", b"G ET"]),
              b":path": st.sampled_from(H2_PATHS),
              b":scheme": st.sampled_from([b"http"] * 40 + [b"https", b"", b"ftp"]),
              b":authority": st.sampled_from([b"127.0.0.1"] * 40 + [b"localhost", b"", b"evil.example", b"a b"])}
    for name, values in pseudo.items():
        for _ in range(draw(st.sampled_from([1] * 60 + [0, 2]))):
            hdrs.append((name, draw(values)))
    extra = st.one_of(
        st.tuples(st.just(b"origin"), ORIGIN_VALUE), st.tuples(st.just(b"origin"), ORIGIN_VALUE),
        st.tuples(st.just(b"access-control-request-method"), ACRM_VALUE),
        st.tuples(st.just(b"access-control-request-headers"), ACRH_VALUE),
        st.tuples(st.just(b"content-length"), CONTENT_LENGTH),
        st.tuples(st.sampled_from([b"connection", b"te", b"transfer-encoding", b"upgrade", b"host",
                                   b"Origin", b":protocol", b"expect"]),
                  st.sampled_from([b"close", b"trailers", b"chunked", b"h2c", b"127.0.0.1", b"100-continue"])),
        st.tuples(TOKEN.map(bytes.lower), SMALL_BYTES),
        st.tuples(st.just(b"x-long"), repeated(b"ab", 1000, 20000)),
    )
    if draw(st.integers(0, 2)):
        hdrs.append((b"origin", draw(st.sampled_from([o.encode() for o in ORIGINS[:4]]))))
    hdrs += draw(st.lists(weighted(COMMON_H2_HEADER, 20, extra), max_size=6))
    if draw(st.integers(0, 9)) == 0:
        hdrs = draw(st.permutations(hdrs))
    body = draw(weighted(st.just(b""), 6, st.binary(max_size=64), repeated(b"a", 1000, 60000)))
    return {"headers": hdrs, "body": body, "second_stream": draw(st.booleans())}


# (request, number of byte mutations, seed of the mutations: the frames exist only once the
# h2 library has built them, after the draw)
H2_CASE = st.tuples(h2_request(), st.sampled_from([0] * 8 + [1, 1, 2, 4]), st.integers(0, 2**32 - 1))
