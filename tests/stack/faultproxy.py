"""faultproxy.py --port P --upstream URL --fail N [--status 503] [--retry-after S] [--drop] [--tls CERT,KEY]:
an HTTP proxy for the retry tests. The first N requests get an S3-style error response (or, with
--drop, a closed connection and no response); the rest are forwarded to the upstream unchanged
(path, query and headers byte for byte, so SigV4 signatures stay valid). Prints the number of
requests it saw to --count-file at each request, and the number of TCP connections it accepted
to --conn-file at each connection (for the tests of connection reuse). With --tls it serves HTTPS with that certificate,
for the tests of TLS verification."""
import argparse
import http.client
import http.server
import threading
import urllib.parse

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
args = ap.parse_args()
up = urllib.parse.urlsplit(args.upstream)
lock = threading.Lock()
seen = 0
conns = 0

CODES = {429: "TooManyRequests", 500: "InternalError", 503: "SlowDown", 504: "GatewayTimeout"}


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
        c = http.client.HTTPConnection(up.hostname, up.port, timeout=60)
        c.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
        for k, v in self.headers.items():
            c.putheader(k, v)
        c.endheaders(body)
        r = c.getresponse()
        data = r.read()
        self.send_response(r.status)
        for k, v in r.getheaders():
            if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = handle_any


server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Proxy)
if args.tls:
    import ssl
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(*args.tls.split(","))
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
server.serve_forever()
