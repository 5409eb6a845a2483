// The TypeORM CLI's entry (npm run migration:generate -- libs/db/src/migrations/<PascalName>): the
// same data source the apps build, on the database DATABASE_URL names.
import { loadEnvConfig } from '@hub/config';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from './data-source';

export default new DataSource(dataSourceOptions(loadEnvConfig(process.env).databaseUrl));
