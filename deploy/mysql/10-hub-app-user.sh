#!/bin/bash
# The mysql image runs this once, when it initialises an empty data directory (docker-compose.yml mounts this
# folder as /docker-entrypoint-initdb.d): it creates the apps' account from HUB_DB_USER and HUB_DB_PASSWORD with
# data rights on MYSQL_DATABASE only. The migrate service connects as root and changes the schema.
set -euo pipefail
: "${HUB_DB_PASSWORD:?set HUB_DB_PASSWORD (environment or .env) before the first start}"
sql_text() { printf "%s" "$1" | sed "s/'/''/g"; }
docker_process_sql --database=mysql <<SQL
SET @hub_database = '$(sql_text "$MYSQL_DATABASE")', @hub_user = '$(sql_text "${HUB_DB_USER:-iehub}")',
    @hub_password = '$(sql_text "$HUB_DB_PASSWORD")', @hub_host = '%';
$(cat /docker-entrypoint-initdb.d/app-user.sql)
SQL
