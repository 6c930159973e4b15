-- The storage integration Snowflake reads the landing zone through. IF NOT EXISTS, because
-- re-creating it would mint a new external id and break the IAM trust policy.
CREATE STORAGE INTEGRATION IF NOT EXISTS <% integration %>
  TYPE = EXTERNAL_STAGE
  STORAGE_PROVIDER = 'S3'
  ENABLED = TRUE
  STORAGE_AWS_ROLE_ARN = '<% role_arn %>'
  STORAGE_ALLOWED_LOCATIONS = ('<% landing %>/');
DESC INTEGRATION <% integration %>;
