"""Authentication for the Snowflake SQL API stand-in.

Users come from two places, merged on every request (so edits take effect at once):
  DIR/users.json      the test bootstrap file, re-read whenever its mtime/size changes;
  DIR/users.sql.json  what ALTER USER statements registered (written by this server).
"""
import base64
import hashlib
import json
import os
import secrets
import threading
import time
import uuid

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

TOKEN_TYPES = ("KEYPAIR_JWT", "OAUTH", "PROGRAMMATIC_ACCESS_TOKEN", "WORKLOAD_IDENTITY_FEDERATION")
HASHES = {"RS256": hashes.SHA256, "RS384": hashes.SHA384, "RS512": hashes.SHA512}
CLOCK_SKEW = 60  # seconds of iat-in-the-future we tolerate


class AuthError(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message


def jwt_error():
    return AuthError("390144", "JWT token is invalid. [%s]" % uuid.uuid4())


def oauth_error():
    return AuthError("390303", "Invalid OAuth access token. [%s]" % uuid.uuid4())


def pat_error():
    # The real code for a bad PAT is not documented; reuse the OAuth one (README).
    return AuthError("390303", "Invalid programmatic access token. [%s]" % uuid.uuid4())


def claim_account(account):
    """Account as it must appear in JWT claims (research snowflake.md §2.1)."""
    a = account.upper()
    if ".GLOBAL" in a:
        return a.split("-", 1)[0]
    if "." in a:
        return a.split(".", 1)[0]
    return a


def load_public_key(text):
    """PEM or bare base64 DER SubjectPublicKeyInfo (what ALTER USER takes)."""
    text = text.strip()
    if text.startswith("-----BEGIN"):
        return serialization.load_pem_public_key(text.encode())
    der = base64.b64decode("".join(text.split()))
    return serialization.load_der_public_key(der)


def fingerprint(key):
    der = key.public_bytes(serialization.Encoding.DER,
                           serialization.PublicFormat.SubjectPublicKeyInfo)
    return "SHA256:" + base64.b64encode(hashlib.sha256(der).digest()).decode()


def b64url_decode(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


class Users:
    def __init__(self, state_dir, account):
        self.path = os.path.join(state_dir, "users.json")
        self.sql_path = os.path.join(state_dir, "users.sql.json")
        self.account = account
        self.lock = threading.Lock()
        self._stamp = None
        self._file = {}

    def _read_file(self):
        try:
            st = os.stat(self.path)
            stamp = (st.st_mtime_ns, st.st_size)
        except FileNotFoundError:
            self._file, self._stamp = {}, None
            return
        if stamp != self._stamp:
            with open(self.path) as f:
                data = json.load(f)
            self._file = {k.upper(): v for k, v in data.items()}
            self._stamp = stamp

    def _read_sql(self):
        try:
            with open(self.sql_path) as f:
                return json.load(f)
        except FileNotFoundError:
            return {}

    def _write_sql(self, data):
        tmp = self.sql_path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(data, f, indent=1)
        os.replace(tmp, self.sql_path)

    def get(self, name):
        with self.lock:
            self._read_file()
            base = dict(self._file.get(name, {}) or {})
            over = self._read_sql().get(name)
        if over is None and name not in self._file:
            return None
        over = over or {}
        for k in ("rsa_public_key", "rsa_public_key_2", "default_role", "default_namespace",
                  "default_warehouse"):
            if k in over:
                base[k] = over[k]
        base["oauth_tokens"] = list(base.get("oauth_tokens") or []) + list(over.get("oauth_tokens") or [])
        base["pats"] = list(base.get("pats") or []) + [p["secret"] for p in over.get("pat_objs", [])]
        return base

    def all_names(self):
        with self.lock:
            self._read_file()
            return sorted(set(self._file) | set(self._read_sql()))

    # ---- changes made through SQL (ALTER USER / CREATE USER) ----
    def sql_update(self, name, **kv):
        with self.lock:
            data = self._read_sql()
            u = data.setdefault(name, {})
            u.update(kv)
            self._write_sql(data)

    def sql_add_pat(self, name, token_name, role=None, days=15):
        secret = "pat_" + secrets.token_urlsafe(40)
        with self.lock:
            data = self._read_sql()
            u = data.setdefault(name, {})
            pats = [p for p in u.get("pat_objs", []) if p["name"] != token_name]
            pats.append({"name": token_name, "secret": secret, "role": role,
                         "expires": time.time() + days * 86400})
            u["pat_objs"] = pats
            self._write_sql(data)
        return secret

    def sql_remove_pat(self, name, token_name):
        with self.lock:
            data = self._read_sql()
            u = data.setdefault(name, {})
            u["pat_objs"] = [p for p in u.get("pat_objs", []) if p["name"] != token_name]
            self._write_sql(data)

    # ---- verification ----
    def authenticate(self, headers):
        """Returns the user name (upper-case) or raises AuthError."""
        authz = headers.get("Authorization")
        if not authz:
            raise AuthError("390101", "Authorization header is missing. [%s]" % uuid.uuid4())
        parts = authz.split(None, 1)
        if len(parts) != 2 or parts[0].lower() != "bearer" or not parts[1].strip():
            raise AuthError("390101", "Authorization header is not a Bearer token. [%s]" % uuid.uuid4())
        token = parts[1].strip()
        ttype = headers.get("X-Snowflake-Authorization-Token-Type")
        if ttype is not None:
            ttype = ttype.strip().upper()
            if ttype not in TOKEN_TYPES:
                raise AuthError("390101", "Unsupported authorization token type '%s'. [%s]"
                                % (ttype, uuid.uuid4()))
        else:
            # Current docs: the token is inspected when the header is absent.
            ttype = "KEYPAIR_JWT" if token.count(".") == 2 and token.startswith("eyJ") else "OAUTH"
        if ttype == "KEYPAIR_JWT":
            return self._verify_jwt(token)
        if ttype == "WORKLOAD_IDENTITY_FEDERATION":
            raise AuthError("390144", "Workload identity federation is not emulated. [%s]" % uuid.uuid4())
        kind = "pats" if ttype == "PROGRAMMATIC_ACCESS_TOKEN" else "oauth_tokens"
        for name in self.all_names():
            u = self.get(name) or {}
            if any(secrets.compare_digest(token, t) for t in (u.get(kind) or []) if isinstance(t, str)):
                if kind == "pats" and not self._pat_live(name, token):
                    break
                return name
        raise pat_error() if kind == "pats" else oauth_error()

    def _pat_live(self, name, token):
        for p in self._read_sql().get(name, {}).get("pat_objs", []):
            if p["secret"] == token:
                return p.get("expires", 0) > time.time()
        return True  # bootstrap-file PATs never expire

    def _verify_jwt(self, token):
        try:
            h64, p64, s64 = token.split(".")
            header = json.loads(b64url_decode(h64))
            claims = json.loads(b64url_decode(p64))
            sig = b64url_decode(s64)
        except Exception:
            raise jwt_error()
        alg = header.get("alg")
        if alg not in HASHES or not isinstance(claims, dict):
            raise jwt_error()
        iss, sub = claims.get("iss"), claims.get("sub")
        iat, exp = claims.get("iat"), claims.get("exp")
        if not (isinstance(iss, str) and isinstance(sub, str)
                and isinstance(iat, (int, float)) and isinstance(exp, (int, float))):
            raise jwt_error()
        if iat > 1e11:  # milliseconds are accepted too
            iat /= 1000.0
        if exp > 1e11:
            exp /= 1000.0
        acct = claim_account(self.account)
        sub_parts = sub.split(".")
        if len(sub_parts) != 2 or sub_parts[0] != acct:
            raise jwt_error()
        user = sub_parts[1]
        if user != user.upper():
            raise jwt_error()
        prefix = "%s.%s." % (acct, user)
        if not iss.startswith(prefix) or not iss[len(prefix):].startswith("SHA256:"):
            raise jwt_error()
        fp = iss[len(prefix):]
        now = time.time()
        if exp <= now or iat > now + CLOCK_SKEW or exp > iat + 3600 or now > iat + 3600:
            raise jwt_error()
        u = self.get(user)
        if not u:
            raise jwt_error()
        signing_input = (h64 + "." + p64).encode()
        for slot in ("rsa_public_key", "rsa_public_key_2"):
            text = u.get(slot)
            if not text:
                continue
            try:
                key = load_public_key(text)
            except Exception:
                continue
            if fingerprint(key) != fp:
                continue
            try:
                key.verify(sig, signing_input, padding.PKCS1v15(), HASHES[alg]())
                return user
            except InvalidSignature:
                raise jwt_error()
        raise jwt_error()
