"""bootstrap.py ENDPOINT CREDFILE: create the stack's IAM identity in a fresh moto (auth still
off), write its keys to CREDFILE (mode 600, AWS credentials-file format), then turn moto's
authentication on: from here every request must carry a valid SigV4 signature of a known key."""
import json
import os
import sys
import urllib.request

import boto3

endpoint, credfile = sys.argv[1], sys.argv[2]
iam = boto3.client("iam", endpoint_url=endpoint, region_name="us-east-1",
                   aws_access_key_id="bootstrap", aws_secret_access_key="bootstrap")
iam.create_user(UserName="dbx2sf")
iam.put_user_policy(UserName="dbx2sf", PolicyName="stack-admin", PolicyDocument=json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
key = iam.create_access_key(UserName="dbx2sf")["AccessKey"]
fd = os.open(credfile, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
with os.fdopen(fd, "w") as f:
    f.write("[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n"
            % (key["AccessKeyId"], key["SecretAccessKey"]))
# moto reads the body raw: it must not be form-encoded (a form body leaves auth off).
req = urllib.request.Request(endpoint + "/moto-api/reset-auth", data=b"0", method="POST",
                             headers={"Content-Type": "text/plain"})
urllib.request.urlopen(req).read()
