/*
 * Opens the configured store and brings its schema up to date:
 * MySQL/MariaDB when FOGSIM_MYSQL_URL is set, else the embedded SQLite file.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { FogsimError, UserError } from '../model/errors.js';
import type { InfraConfig } from '../util/config.js';
import type { Store } from './store.js';
import { SqliteStore } from './sqlite-store.js';
import { MySqlStore, redact } from './mysql-store.js';

export { SqliteStore } from './sqlite-store.js';
export { MySqlStore, parseMySqlUrl } from './mysql-store.js';

export async function openStore(cfg: Pick<InfraConfig, 'mysqlUrl' | 'sqlitePath'>): Promise<Store> {
  if (cfg.mysqlUrl) {
    const store = MySqlStore.fromUrl(cfg.mysqlUrl);
    try {
      await store.ping();
      await store.migrate();
    } catch (e) {
      await store.close().catch(() => undefined);
      if (e instanceof FogsimError) throw e;
      throw new UserError(`cannot prepare the schema on ${redact(cfg.mysqlUrl)} (FOGSIM_MYSQL_URL): ${(e as Error).message}; check the user's privileges (CREATE, ALTER, INDEX) on that database`);
    }
    return store;
  }
  let store: SqliteStore;
  try {
    if (cfg.sqlitePath !== ':memory:') mkdirSync(dirname(cfg.sqlitePath), { recursive: true });
    store = new SqliteStore(cfg.sqlitePath);
  } catch (e) {
    throw new UserError(
      `cannot open the SQLite store ${cfg.sqlitePath} (FOGSIM_SQLITE_PATH / FOGSIM_DATA_DIR): ${(e as Error).message}; check the folder exists and is writable, or set FOGSIM_MYSQL_URL to use MySQL`,
    );
  }
  try {
    await store.migrate();
  } catch (e) {
    await store.close();
    throw new UserError(`cannot prepare the schema in ${cfg.sqlitePath}: ${(e as Error).message}; is it a fogsim SQLite file? Move it aside to start afresh`);
  }
  return store;
}
