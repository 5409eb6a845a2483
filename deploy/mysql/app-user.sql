-- The account the hub's apps run as: data rights on the hub's database only (no CREATE, ALTER, DROP, INDEX,
-- GRANT or FILE). Migrations run separately, under an account that may change the schema (see
-- docs/operations.md, "The database account and migrations").
--
-- Set three variables first, then source this file as an administrator (SOURCE on a line of its own), e.g.
--   mariadb -uroot -p -e "SET @hub_database='image_exchange_hub', @hub_user='iehub', @hub_password='…';
--   SOURCE deploy/mysql/app-user.sql"
-- Optionally @hub_host, where the apps connect from: '%' (the default) for anywhere, or e.g. '10.1.2.%'.
-- Idempotent: running it again changes the password to @hub_password and keeps the grants.

SET @hub_host = COALESCE(@hub_host, '%');
SET @hub_account = CONCAT(QUOTE(@hub_user), '@', QUOTE(@hub_host));

SET @statement = CONCAT('CREATE USER IF NOT EXISTS ', @hub_account, ' IDENTIFIED BY ', QUOTE(@hub_password));
PREPARE hub_statement FROM @statement;
EXECUTE hub_statement;
DEALLOCATE PREPARE hub_statement;

SET @statement = CONCAT('ALTER USER ', @hub_account, ' IDENTIFIED BY ', QUOTE(@hub_password));
PREPARE hub_statement FROM @statement;
EXECUTE hub_statement;
DEALLOCATE PREPARE hub_statement;

SET @statement = CONCAT(
  'GRANT SELECT, INSERT, UPDATE, DELETE ON `', REPLACE(@hub_database, '`', '``'), '`.* TO ', @hub_account
);
PREPARE hub_statement FROM @statement;
EXECUTE hub_statement;
DEALLOCATE PREPARE hub_statement;
