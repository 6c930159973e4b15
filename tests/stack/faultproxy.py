"""faultproxy.py --port P --upstream URL --fail N [--status 503] [--retry-after S] [--drop] [--tls CERT,KEY]
    [--ignore-encoding-type absent|empty] [--plus-blanks] [--bucket-region R [--redirect permanent|malformed|headerless]]:
an HTTP proxy for the retry tests. The first N requests get an S3-style error response (or, with
--drop, a closed connection and no response); the rest are forwarded to the upstream unchanged
(path, query and headers byte for byte, so SigV4 signatures stay valid). Prints the number of
requests it saw to --count-file at each request, and the number of TCP connections it accepted
to --conn-file at each connection (for the tests of connection reuse). With --tls it serves HTTPS with that certificate,
for the tests of TLS verification.

Two S3 behaviours moto does not have:

--ignore-encoding-type models an S3-compatible gateway that ignores ListObjects' encoding-type=url:
its listing holds the raw keys (XML-escaped only) and no EncodingType element (absent), or an
empty one (empty). The request still goes to moto, which encodes; the proxy undoes exactly that
encoding in Key, Prefix, StartAfter, Delimiter and CommonPrefixes' Prefix and drops EncodingType.
--plus-blanks re-encodes those names as S3 itself does, a blank as '+' (moto's urllib quote
sends %20), keeping EncodingType url.

--bucket-region R models a bucket that lives in region R: a request signed for another region
(the SigV4 credential scope) is answered as S3 answers it, and not forwarded; a request signed
for R is forwarded. permanent (the default): 301 PermanentRedirect with x-amz-bucket-region: R,
what a regional endpoint answers; malformed: 400 AuthorizationHeaderMalformed with <Region>R</Region>
in the body, what the global endpoint answers; headerless: a 301 PermanentRedirect without the
header, as a proxy that drops it would pass it on, so the client cannot tell the region."""
import argparse
import http.client
import http.server
import re
import threading
import urllib.parse
from xml.sax.saxutils import escape

ap = argparse.ArgumentParser()
ap.add_argument("--port", type=int, required=True)
ap.add_argument("--upstream", required=True)
ap.add_argument("--fail", type=int, default=0)
ap.add_argument("--status", type=int, default=503)
ap.add_argument("--retry-after")
ap.add_argument("--drop", action="store_true")
ap.add_argument("--count-file")
ap.add_argument("--conn-file")
ap.add_argument("--tls")
ap.add_argument("--ignore-encoding-type", choices=("absent", "empty"))
ap.add_argument("--plus-blanks", action="store_true")
ap.add_argument("--bucket-region")
ap.add_argument("--redirect", choices=("permanent", "malformed", "headerless"), default="permanent")
args = ap.parse_args()
up = urllib.parse.urlsplit(args.upstream)
lock = threading.Lock()
seen = 0
conns = 0

CODES = {429: "TooManyRequests", 500: "InternalError", 503: "SlowDown", 504: "GatewayTimeout"}
ENCODED = re.compile(rb"<(Key|Prefix|StartAfter|Delimiter)>([^<]*)</\1>")


def unencoded_listing(data):
    """A ListObjects(V2) body as a gateway that ignores encoding-type=url sends it."""
    if b"<ListBucketResult" not in data or b"<EncodingType>url</EncodingType>" not in data:
        return data
    if args.plus_blanks:
        return ENCODED.sub(lambda m: b"<%s>%s</%s>" % (m[1], urllib.parse.quote_plus(
            urllib.parse.unquote(m[2].decode(), errors="strict"), safe="/").encode(), m[1]), data)
    data = data.replace(b"<EncodingType>url</EncodingType>",
                        b"" if args.ignore_encoding_type == "absent" else b"<EncodingType></EncodingType>")
    return ENCODED.sub(lambda m: b"<%s>%s</%s>" % (m[1], escape(urllib.parse.unquote_plus(
        m[2].decode(), errors="strict")).encode(), m[1]), data)


def signed_region(headers):
    m = re.search(r"Credential=[^/]*/[^/]*/([^/]*)/", headers.get("Authorization") or "")
    return m and m[1]


class Proxy(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def setup(self):
        global conns
        super().setup()
        with lock:
            conns += 1
            if args.conn_file:
                with open(args.conn_file, "w") as f:
                    f.write("%d\n" % conns)

    def handle_any(self):
        global seen
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else None
        with lock:
            seen += 1
            mine = seen
            if args.count_file:
                with open(args.count_file, "w") as f:
                    f.write("%d\n" % seen)
        if mine <= args.fail:
            if args.drop:
                self.close_connection = True
                self.connection.shutdown(2)
                return
            msg = ('<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code>'
                   '<Message>injected by faultproxy</Message></Error>' % CODES.get(args.status, "Error")).encode()
            self.send_response(args.status)
            if args.retry_after:
                self.send_header("Retry-After", args.retry_after)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(msg)))
            self.end_headers()
            self.wfile.write(msg)
            return
        if args.bucket_region and signed_region(self.headers) != args.bucket_region:
            self.wrong_region(signed_region(self.headers))
            return
        c = http.client.HTTPConnection(up.hostname, up.port, timeout=60)
        c.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
        for k, v in self.headers.items():
            c.putheader(k, v)
        c.endheaders(body)
        r = c.getresponse()
        data = r.read()
        if (args.ignore_encoding_type or args.plus_blanks) and r.status == 200:
            data = unencoded_listing(data)
        self.send_response(r.status)
        for k, v in r.getheaders():
            if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def wrong_region(self, region):
        bucket = urllib.parse.urlsplit(self.path).path.split("/")[1]
        if args.redirect == "malformed":
            status, hdr = 400, {}
            body = ("<Error><Code>AuthorizationHeaderMalformed</Code><Message>The authorization header is "
                    "malformed; the region '%s' is wrong; expecting '%s'</Message><Region>%s</Region>"
                    % (region, args.bucket_region, args.bucket_region))
        else:
            status = 301
            hdr = {} if args.redirect == "headerless" else {"x-amz-bucket-region": args.bucket_region}
            body = ("<Error><Code>PermanentRedirect</Code><Message>The bucket you are attempting to access "
                    "must be addressed using the specified endpoint. Please send all future requests to "
                    "this endpoint.</Message><Endpoint>%s.s3.%s.amazonaws.com</Endpoint><Bucket>%s</Bucket>"
                    % (bucket, args.bucket_region, bucket))
        body = ('<?xml version="1.0" encoding="UTF-8"?>\n' + body +
                "<RequestId>FAULTPROXY</RequestId><HostId>faultproxy</HostId></Error>").encode()
        self.send_response(status)
        for k, v in hdr.items():
            self.send_header(k, v)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", "0" if self.command == "HEAD" else str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = handle_any


server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Proxy)
if args.tls:
    import ssl
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(*args.tls.split(","))
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
server.serve_forever()
