"""Tiny SQL API client used by the stand-in's own tests (test_*.py) and for manual probing."""
import base64
import gzip
import hashlib
import json
import time
import urllib.error
import urllib.request
import uuid

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def make_jwt(private_pem, account, user, lifetime=3540, iat=None, alg="RS256", fp_key=None):
    key = serialization.load_pem_private_key(private_pem, password=None)
    pub = (fp_key or key).public_key() if fp_key is not None else key.public_key()
    der = pub.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    fp = "SHA256:" + base64.b64encode(hashlib.sha256(der).digest()).decode()
    now = int(time.time()) if iat is None else iat
    claims = {"iss": "%s.%s.%s" % (account, user, fp), "sub": "%s.%s" % (account, user),
              "iat": now, "exp": now + lifetime}
    h = b64url(json.dumps({"alg": alg, "typ": "JWT"}).encode())
    p = b64url(json.dumps(claims).encode())
    hf = {"RS256": hashes.SHA256, "RS384": hashes.SHA384, "RS512": hashes.SHA512}[alg]
    sig = key.sign((h + "." + p).encode(), padding.PKCS1v15(), hf())
    return h + "." + p + "." + b64url(sig)


class Resp:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.raw = status, headers, body
        try:
            self.json = json.loads(body) if body else None
        except ValueError:
            self.json = None


def request(base, method, path, token=None, token_type="KEYPAIR_JWT", body=None, headers=None,
            gzip_ok=True):
    h = {"Accept": "application/json", "User-Agent": "sfclient-test/1.0"}
    if token is not None:
        h["Authorization"] = "Bearer " + token
    if token_type:
        h["X-Snowflake-Authorization-Token-Type"] = token_type
    if gzip_ok:
        h["Accept-Encoding"] = "gzip"
    data = None
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        h["Content-Type"] = "application/json"
    h.update(headers or {})
    req = urllib.request.Request(base + path, data=data, method=method, headers=h)
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            status, hdrs, raw = r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        status, hdrs, raw = e.code, dict(e.headers), e.read()
    if hdrs.get("Content-Encoding") == "gzip":
        raw = gzip.decompress(raw)
    return Resp(status, hdrs, raw)


def run(base, token, sql, token_type="KEYPAIR_JWT", request_id=None, params="", **body):
    b = {"statement": sql}
    b.update(body)
    rid = request_id or str(uuid.uuid4())
    return request(base, "POST", "/api/v2/statements?requestId=%s%s" % (rid, params), token,
                   token_type, b)


def wait(base, token, resp, token_type="KEYPAIR_JWT"):
    while resp.status == 202:
        time.sleep(0.2)
        resp = request(base, "GET", resp.json["statementStatusUrl"], token, token_type)
    return resp


def all_rows(base, token, resp, token_type="KEYPAIR_JWT"):
    resp = wait(base, token, resp, token_type)
    assert resp.status == 200, (resp.status, resp.raw[:500])
    rows = list(resp.json["data"])
    h = resp.json["statementHandle"]
    for n in range(1, len(resp.json["resultSetMetaData"]["partitionInfo"])):
        p = request(base, "GET", "/api/v2/statements/%s?partition=%d" % (h, n), token, token_type)
        assert p.status == 200, p.raw[:300]
        rows.extend(p.json["data"])
    return resp, rows
