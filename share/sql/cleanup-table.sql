-- What make cleanup drops in Snowflake for one table of many: its pipe and stage. The shared
-- integration stays until every table is cleaned up. The target table is kept: it is the product.
DROP PIPE IF EXISTS <% pipe %>;
DROP STAGE IF EXISTS <% stage %>;
