-- The external stage over one dataset's part of the landing zone.
CREATE STAGE IF NOT EXISTS <% stage %>
  URL = '<% landing %>/<% dataset %>/'
  STORAGE_INTEGRATION = <% integration %>
  FILE_FORMAT = (TYPE = PARQUET USE_LOGICAL_TYPE = TRUE);
