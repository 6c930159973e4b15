"""moto_server with one repair: SigV4 verified over the request line as the client sent it.

moto 5.2 recomputes signatures over Werkzeug's request.url, in which escapes such as %2F and %3D
are already decoded, so it rejects valid requests whose query values hold '/' or whose keys hold
'=' (every Hive partition path) -- botocore's own CLI included (moto issue #5948). The raw request
line (RAW_URI) is at hand; this launcher swaps it in for the duration of the check only. Nothing
else about moto changes.

usage: python server.py -H 127.0.0.1 -p PORT
"""
import sys

from moto.core.authorization import ActionAuthenticatorMixin
from moto.core.responses import BaseResponse

_setup_class = BaseResponse.setup_class
_authenticate = ActionAuthenticatorMixin._authenticate_and_authorize_action


def setup_class(self, request, full_url, headers, *args, **kwargs):
    self._raw_uri = getattr(request, "environ", {}).get("RAW_URI")
    return _setup_class(self, request, full_url, headers, *args, **kwargs)


def authenticate(self, *args, **kwargs):
    raw = getattr(self, "_raw_uri", None)
    if not raw:
        return _authenticate(self, *args, **kwargs)
    saved, self.uri = self.uri, raw
    try:
        return _authenticate(self, *args, **kwargs)
    finally:
        self.uri = saved


BaseResponse.setup_class = setup_class
ActionAuthenticatorMixin._authenticate_and_authorize_action = authenticate

if __name__ == "__main__":
    from moto.server import main

    main(sys.argv[1:])
