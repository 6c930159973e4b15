# Least privilege to load: read the objects under the prefix, list only that prefix.
# Arguments: --arg bucket B --arg prefix P (no leading or trailing slash).
{Version: "2012-10-17",
 Statement: [
   {Effect: "Allow",
    Action: ["s3:GetObject", "s3:GetObjectVersion"],
    Resource: "arn:aws:s3:::\($bucket)/\($prefix)/*"},
   {Effect: "Allow",
    Action: ["s3:ListBucket", "s3:GetBucketLocation"],
    Resource: "arn:aws:s3:::\($bucket)",
    Condition: {StringLike: {"s3:prefix": ["\($prefix)/*"]}}}]}
