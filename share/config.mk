# config.mk — the settings of one dbx2sf publication. Copy it into the directory you run make
# from, and edit. Credentials never go here: each tool reads its ecosystem's own files and
# variables (~/.aws, ~/.snowflake/connections.toml, ~/.databrickscfg; see dbx2sf(7)).
#
# Many tables: put each table's settings (SOURCE_TABLE DATE_COLUMN DATASET TARGET_FILE_SIZE
# TARGET_TABLE STAGE PIPE, and READER_ROLE or SCHEMA_EVOLUTION if they differ) in
# tables/<name>.mk, and keep the shared ones here (LANDING INTEGRATION AWS_ROLE_NAME AWS_ACCOUNT_ID, the connections). A value
# set here is every table's default; a table's file overrides it.

# The Databricks side: the curated Delta table, its date column, and where to run SQL.
DBX_PROFILE     = DEFAULT
DBX_WAREHOUSE   =
SOURCE_TABLE    = main.sales.trips
DATE_COLUMN     = trip_date
# Optional: the column(s) that identify a row, comma-separated (trip_id, or region,trip_id);
# only make diff, which names the rows behind a mismatch, needs it.
KEY             =

# The landing zone: exports go to $(LANDING)/$(DATASET)/date=D/run=R/.
LANDING         = s3://my-landing-bucket/dbx2sf
DATASET         = trips
# Parquet file size the export aims at (bytes, or K/M/G); Snowflake loads 100-250 MB best.
TARGET_FILE_SIZE = 200M

# The Snowflake side. SF_CONNECTION names a connection in connections.toml ("" = default).
SF_CONNECTION   =
TARGET_TABLE    = ANALYTICS.PUBLIC.TRIPS
STAGE           = ANALYTICS.PUBLIC.DBX2SF_TRIPS
INTEGRATION     = DBX2SF_S3
# A date whose files' schema differs from the table's (a column added or dropped, a DECIMAL
# or string widened, a case-only rename): strict (the default) stops its load, changing
# nothing, and prints each difference and the statements add would run; add runs them (ALTER
# TABLE … ADD COLUMN, … ALTER COLUMN … SET DATA TYPE) just before the load, and loads a
# dropped column as NULL. A narrowed or incompatible type stops either way (dbx2sf(7)).
SCHEMA_EVOLUTION = strict
# The role that reads the table (make grant), and the pipe of make pipe.
READER_ROLE     = ANALYST
PIPE            = ANALYTICS.PUBLIC.DBX2SF_TRIPS_PIPE

# The AWS role Snowflake assumes to read the landing zone (make iam).
AWS_ROLE_NAME   = dbx2sf-snowflake-read
AWS_ACCOUNT_ID  = 123456789012
