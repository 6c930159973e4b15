-- Read access for the consumers of the published table.
GRANT USAGE ON DATABASE <% database %> TO ROLE <% role %>;
GRANT USAGE ON SCHEMA <% database %>.<% schema %> TO ROLE <% role %>;
GRANT SELECT ON TABLE <% table %> TO ROLE <% role %>;
