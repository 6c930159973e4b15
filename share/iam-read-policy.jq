# Least privilege to load: read the objects under the prefix, list only that prefix.
# Arguments: --arg bucket B --arg prefix P (no leading or trailing slash). Many tables: P holds
# one prefix a line (every table's dataset), and each statement covers all of them.
($prefix | split("\n") | map(select(. != ""))) as $p
| def one_or_all: if length == 1 then .[0] else . end;
{Version: "2012-10-17",
 Statement: [
   {Effect: "Allow",
    Action: ["s3:GetObject", "s3:GetObjectVersion"],
    Resource: ($p | map("arn:aws:s3:::\($bucket)/\(.)/*") | one_or_all)},
   {Effect: "Allow",
    Action: ["s3:ListBucket", "s3:GetBucketLocation"],
    Resource: "arn:aws:s3:::\($bucket)",
    Condition: {StringLike: {"s3:prefix": ($p | map("\(.)/*"))}}}]}
