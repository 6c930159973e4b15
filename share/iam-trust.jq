# The trust policy of the role Snowflake assumes: only Snowflake's IAM user, only with the
# integration's external id. Input: DESC INTEGRATION rows as JSON lines, slurped (-s); other
# lines (the status of CREATE) are passed over.
(map(select(.property) | {(.property): .property_value}) | add) as $p
| {Version: "2012-10-17",
   Statement: [{Effect: "Allow",
                Principal: {AWS: $p.STORAGE_AWS_IAM_USER_ARN},
                Action: "sts:AssumeRole",
                Condition: {StringEquals: {"sts:ExternalId": $p.STORAGE_AWS_EXTERNAL_ID}}}]}
