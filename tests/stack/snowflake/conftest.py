import json
import os
import socket
import subprocess
import sys
import tempfile
import time

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
ACCOUNT = "MYORG-MYACCOUNT"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def keypair():
    k = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                          serialization.NoEncryption())
    pub = k.public_key().public_bytes(serialization.Encoding.PEM,
                                      serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return pem, pub


class Stack:
    def __init__(self, extra_args=(), env=None):
        self.env = env
        self.tmp = tempfile.TemporaryDirectory(prefix="sf-standin-")
        self.state = os.path.join(self.tmp.name, "state")
        os.makedirs(self.state)
        self.k1, self.pub1 = keypair()
        self.k2, self.pub2 = keypair()
        self.k3, self.pub3 = keypair()
        der = "".join(self.pub2.strip().splitlines()[1:-1])  # bare base64 DER form
        self.users = {
            "ALICE": {"rsa_public_key": self.pub1, "rsa_public_key_2": der,
                      "oauth_tokens": ["oauth-alice"], "pats": ["pat-alice"],
                      "default_role": "ACCOUNTADMIN", "default_warehouse": "TEST_WH"},
            "BOB": {"rsa_public_key": None, "oauth_tokens": [], "pats": ["pat-bob"],
                    "default_role": "PUBLIC"},
        }
        self.write_users()
        with open(os.path.join(self.state, "warehouses.json"), "w") as f:
            json.dump(["TEST_WH", "LOAD_WH"], f)  # the account's warehouse, as the stack's bootstrap makes it
        self.port = free_port()
        self.base = "http://127.0.0.1:%d" % self.port
        self.args = list(extra_args)
        self.start()

    def write_users(self):
        with open(os.path.join(self.state, "users.json"), "w") as f:
            json.dump(self.users, f)

    def start(self):
        self.log = open(os.path.join(self.tmp.name, "server.log"), "ab")
        self.proc = subprocess.Popen(
            [sys.executable, os.path.join(HERE, "server.py"), "--host", "127.0.0.1",
             "--port", str(self.port), "--state", self.state, "--account", "myorg-myaccount",
             "--sync-wait", "3"] + self.args,
            stdout=self.log, stderr=self.log, env=self.env)
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("stand-in did not start")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)
        self.log.close()

    def jwt(self, user="ALICE", key=None, **kw):
        import sfclient
        return sfclient.make_jwt(key or self.k1, ACCOUNT, user, **kw)


@pytest.fixture(scope="module")
def stack():
    s = Stack()
    yield s
    s.stop()
    s.tmp.cleanup()


@pytest.fixture(scope="module")
def moto():
    """A moto server (S3, STS, SQS, IAM) on loopback, as the stack's AWS stand-in."""
    port = free_port()
    env = dict(os.environ, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
               AWS_REGION="us-east-1", AWS_DEFAULT_REGION="us-east-1")
    env.pop("AWS_PROFILE", None)
    exe = os.path.join(os.path.dirname(sys.executable), "moto_server")
    proc = subprocess.Popen([exe, "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    env["AWS_ENDPOINT_URL"] = "http://127.0.0.1:%d" % port
    yield env
    proc.terminate()
    proc.wait(10)


@pytest.fixture(scope="module")
def stack_s3(moto):
    s = Stack(env=moto)
    yield s
    s.stop()
    s.tmp.cleanup()
