"""bootstrap.py ENDPOINT CREDFILE SFUSERFILE: create the stack's IAM identities in a fresh moto
(auth still off), then turn moto's authentication on: from here every request must carry a valid
SigV4 signature of a known key.

- dbx2sf: the operator (allow-all), its keys written to CREDFILE (mode 600, credentials-file
  format), as a user's ~/.aws/credentials would hold them;
- snowflake-storage: stands for the IAM user of the Snowflake account, which may do nothing but
  sts:AssumeRole. Its ARN and keys go to SFUSERFILE (mode 600, JSON) for the Snowflake stand-in,
  whose COPY assumes the integration's role as it: only a role whose trust policy names this user
  with the integration's external id lets Snowflake read the landing zone, as in AWS."""
import json
import os
import sys
import urllib.request

import boto3

endpoint, credfile, sfuserfile = sys.argv[1], sys.argv[2], sys.argv[3]
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
iam.create_user(UserName="snowflake-storage")
iam.put_user_policy(UserName="snowflake-storage", PolicyName="assume-only", PolicyDocument=json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}))
sf = iam.create_access_key(UserName="snowflake-storage")["AccessKey"]
arn = iam.get_user(UserName="snowflake-storage")["User"]["Arn"]
fd = os.open(sfuserfile, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
with os.fdopen(fd, "w") as f:
    json.dump({"arn": arn, "access_key_id": sf["AccessKeyId"], "secret_access_key": sf["SecretAccessKey"]}, f)
# moto reads the body raw: it must not be form-encoded (a form body leaves auth off).
req = urllib.request.Request(endpoint + "/moto-api/reset-auth", data=b"0", method="POST",
                             headers={"Content-Type": "text/plain"})
urllib.request.urlopen(req).read()
