# The mysql image sources this once, when it initialises an empty data directory (docker-compose.yml mounts it
# into /docker-entrypoint-initdb.d; it must stay non-executable, so that it is sourced and can use the image's
# docker_process_sql). It creates the apps' account from HUB_DB_USER and HUB_DB_PASSWORD with data rights on
# MYSQL_DATABASE only, through app-user.sql (mounted at /opt/iehub/app-user.sql). The migrate service connects
# as root and changes the schema.
: "${HUB_DB_PASSWORD:?set HUB_DB_PASSWORD (environment or .env) before the first start}"
hub_sql_text() { printf "%s" "$1" | sed -e 's/\\/\\\\/g' -e "s/'/''/g"; }
docker_process_sql --database=mysql <<HUB_SQL
SET @hub_database = '$(hub_sql_text "$MYSQL_DATABASE")', @hub_user = '$(hub_sql_text "${HUB_DB_USER:-iehub}")',
    @hub_password = '$(hub_sql_text "$HUB_DB_PASSWORD")', @hub_host = '%';
$(cat /opt/iehub/app-user.sql)
HUB_SQL
