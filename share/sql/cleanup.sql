-- What make cleanup drops in Snowflake. The target table is kept: it is the product.
DROP PIPE IF EXISTS <% pipe %>;
DROP STAGE IF EXISTS <% stage %>;
DROP INTEGRATION IF EXISTS <% integration %>;
