/* aws.h: AWS credentials as the AWS CLI/SDKs find them, and Signature Version 4. */
#ifndef DBX2SF_AWS_H
#define DBX2SF_AWS_H

#include <stddef.h>
#include <time.h>
#include <curl/curl.h>

struct aws_creds {
	char *access_key_id, *secret_access_key, *session_token, *region;
};

/* Fill c from, in order: AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN); else
 * the profile AWS_PROFILE (default "default") in AWS_SHARED_CREDENTIALS_FILE (default
 * ~/.aws/credentials, section [NAME]) then in AWS_CONFIG_FILE (default ~/.aws/config, section
 * [profile NAME], or [default]), keys aws_access_key_id, aws_secret_access_key,
 * aws_session_token. Region: AWS_REGION, AWS_DEFAULT_REGION, the profile's region in the config
 * file, else us-east-1. Not supported, and an error saying so when the profile uses them where
 * botocore would (role_arn, web_identity_token_file, sso_session/sso_start_url before static
 * keys in either file; credential_process before those in the config file only); IMDS and ECS
 * are never tried.
 * Returns 0, or EX_CONFIG with a one-line reason in err naming the variable, file or profile.
 * On error c holds nothing to free. */
int aws_creds_load(struct aws_creds *c, char *err, size_t errlen);
void aws_creds_free(struct aws_creds *c);

/* The endpoint configured for service ("S3", "IAM", "STS", "SQS"): AWS_ENDPOINT_URL_<SERVICE>
 * (upper case, blanks and '-' as '_'), then AWS_ENDPOINT_URL, then the profile's endpoint_url
 * in the config file; none of them when AWS_IGNORE_CONFIGURED_ENDPOINT_URLS is "true".
 * Malloc'd without a trailing '/'; NULL when none is configured. */
char *aws_endpoint_url(const char *service);

/* URI-encode s as SigV4 requires: A-Z a-z 0-9 - _ . ~ kept, every other byte %XX (upper-case
 * hex); '/' kept unless encode_slash. Malloc'd. */
char *aws_uri_encode(const char *s, int encode_slash);

/* Pass as bodylen with body NULL to sign "UNSIGNED-PAYLOAD" (S3 only) instead of a body hash. */
#define AWS_UNSIGNED_PAYLOAD ((size_t)-1)

/* Hex SHA-256 of body, or "UNSIGNED-PAYLOAD" for (NULL, AWS_UNSIGNED_PAYLOAD). Malloc'd. */
char *aws_payload_hash(const void *body, size_t bodylen);

/* The canonical URI of an (encoded) URL path. For "s3" the path is kept as given: no "//" or
 * dot-segment collapsing and no second encoding (only raw bytes outside the unreserved set and
 * '/' are encoded, %XX escapes are upper-cased). For every other service the AWS test-suite
 * rules: dot segments removed, repeated '/' collapsed, then the path encoded once more (so a
 * "%20" on the wire is "%2520" in the canonical URI). "" is "/". Malloc'd. */
char *aws_canonical_uri(const char *service, const char *path);

/* The canonical query string of query (without '?'): parameters split on '&', a name without
 * '=' gets an empty value, each name and value normalised as in aws_canonical_uri for S3
 * ('/' encoded too), then sorted by name, then value. Malloc'd. */
char *aws_canonical_query(const char *query);

/* The canonical request. url is "scheme://host[:port]/path[?query]" (or just "/path?query");
 * headers are "Name: value" lines, ALL of which are signed (the caller includes host and
 * x-amz-date); names lower-cased, values trimmed with inner runs of blanks collapsed, repeated
 * names joined with ','. *signed_headers (if not NULL) gets the malloc'd "a;b;c" list. */
char *aws_canonical_request(const char *service, const char *method, const char *url,
    const struct curl_slist *headers, const char *payload_hash, char **signed_headers);

/* "AWS4-HMAC-SHA256\n<amzdate>\n<scope>\n<hex sha256 of canonical request>", malloc'd. scope is
 * "<yyyymmdd>/<region>/<service>/aws4_request". */
char *aws_string_to_sign(const char *amzdate, const char *scope, const char *canonical_request);

/* The SigV4 signing key for date (yyyymmdd), region and service. */
void aws_signing_key(const char *secret, const char *date, const char *region,
    const char *service, unsigned char key[32]);

/* Hex HMAC-SHA256 of string_to_sign under key, malloc'd. */
char *aws_signature(const unsigned char key[32], const char *string_to_sign);

/* Sign a request for service ("s3", "iam", "sts", "sqs"; lower case as in the credential scope)
 * in c->region at time now. url must be the URL exactly as it will be sent, already encoded
 * (build query strings with aws_uri_encode); the query is canonicalised by sorting. headers are
 * the caller's own ("Range: bytes=0-9", "Content-Type: ..."); they are signed too, except
 * connection, expect, keep-alive, proxy-*, te, trailer, transfer-encoding, upgrade, user-agent
 * and x-amzn-trace-id (which proxies and libcurl may change, and which botocore and moto leave
 * out) and curl's "Name:" (header removed) form. The body is hashed into x-amz-content-sha256;
 * pass body NULL and bodylen AWS_UNSIGNED_PAYLOAD for "UNSIGNED-PAYLOAD".
 * Returns a NEW list: copies of the caller's headers (minus any Host-less duplicates of the
 * headers added here), then Host (unless the caller gave one), X-Amz-Date,
 * X-Amz-Content-Sha256, X-Amz-Security-Token (with a session token) and Authorization.
 * The caller frees it with http_headers_free; headers is not consumed. */
struct curl_slist *aws_sign(const struct aws_creds *c, const char *service, const char *method,
    const char *url, struct curl_slist *headers, const void *body, size_t bodylen, time_t now);

#endif
