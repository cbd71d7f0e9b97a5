/*
 * The store schema as versioned migrations, in MySQL dialect and its SQLite twin.
 * Both stores record applied versions in schema_migrations and apply the missing ones at start.
 *
 * MySQL DDL is not transactional (each statement commits), so every MySQL statement here must be
 * idempotent on its own: a migration interrupted half-way is simply applied again. Indexes therefore
 * live inside CREATE TABLE IF NOT EXISTS (MySQL 8 has no CREATE INDEX IF NOT EXISTS).
 * Never edit a released migration: append a new one.
 */

export interface Migration {
  version: number;
  name: string;
  sqlite: string[];
  mysql: string[];
}

export const SCHEMA_MIGRATIONS_SQLITE = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  applied_at_ms INTEGER NOT NULL
)`;

export const SCHEMA_MIGRATIONS_MYSQL = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version INT NOT NULL PRIMARY KEY,
  name VARCHAR(200) NOT NULL,
  applied_at_ms BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`;

const MYSQL_TABLE = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4';

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'initial schema (DESIGN.md section 5, plus apps.dataset_id for the reference copy)',
    sqlite: [
      `CREATE TABLE IF NOT EXISTS nodes (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        storage INTEGER NOT NULL DEFAULT 1,
        availability REAL NOT NULL
      )`,
      `CREATE TABLE IF NOT EXISTS links (
        from_node INTEGER NOT NULL,
        to_node INTEGER NOT NULL,
        latency_ms REAL NOT NULL,
        PRIMARY KEY (from_node, to_node)
      )`,
      `CREATE TABLE IF NOT EXISTS apps (
        id INTEGER PRIMARY KEY,
        node_id INTEGER NOT NULL,
        goal TEXT NOT NULL,
        dataset_id INTEGER NULL
      )`,
      `CREATE TABLE IF NOT EXISTS datasets (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        family_id INTEGER NOT NULL,
        node_id INTEGER NOT NULL,
        bucket TEXT NOT NULL,
        object_key TEXT NOT NULL,
        version INTEGER NOT NULL DEFAULT 1,
        created_at_ms INTEGER NOT NULL
      )`,
      `CREATE INDEX IF NOT EXISTS datasets_family ON datasets (family_id)`,
      `CREATE TABLE IF NOT EXISTS events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        app_id INTEGER NOT NULL,
        dataset_id INTEGER NOT NULL,
        action_label TEXT NOT NULL,
        action_type TEXT NOT NULL,
        created_at_ms INTEGER NOT NULL,
        closes_at_ms INTEGER NOT NULL,
        active INTEGER NOT NULL DEFAULT 1,
        explored INTEGER NOT NULL DEFAULT 0,
        sum_feedback REAL NOT NULL DEFAULT 0,
        global_feedback REAL NULL
      )`,
      `CREATE INDEX IF NOT EXISTS events_active_closes ON events (active, closes_at_ms)`,
      `CREATE INDEX IF NOT EXISTS events_app ON events (app_id)`,
      `CREATE TABLE IF NOT EXISTS feedback (
        event_id INTEGER NOT NULL,
        app_id INTEGER NOT NULL,
        value REAL NOT NULL,
        created_at_ms INTEGER NOT NULL,
        PRIMARY KEY (event_id, app_id)
      )`,
      `CREATE TABLE IF NOT EXISTS action_counters (
        action_label TEXT PRIMARY KEY,
        value INTEGER NOT NULL DEFAULT 0 CHECK (value >= 0)
      )`,
      `CREATE TABLE IF NOT EXISTS impact_vectors (
        app_id INTEGER NOT NULL,
        action_label TEXT NOT NULL,
        rt REAL NOT NULL, et REAL NOT NULL, x REAL NOT NULL, nl REAL NOT NULL, av REAL NOT NULL, dc REAL NOT NULL,
        source TEXT NOT NULL,
        updated_at_ms INTEGER NOT NULL,
        PRIMARY KEY (app_id, action_label)
      )`,
      `CREATE TABLE IF NOT EXISTS runs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        app_id INTEGER NOT NULL,
        dataset_id INTEGER NULL,
        data_node INTEGER NULL,
        started_at_ms INTEGER NOT NULL,
        rt_ms REAL NOT NULL,
        et_ms REAL NOT NULL,
        throughput REAL NOT NULL,
        latency_ms REAL NOT NULL,
        availability REAL NOT NULL,
        consistency REAL NOT NULL,
        goal_met INTEGER NOT NULL,
        action_label TEXT NULL,
        error TEXT NULL
      )`,
      `CREATE INDEX IF NOT EXISTS runs_app ON runs (app_id, id)`,
    ],
    mysql: [
      `CREATE TABLE IF NOT EXISTS nodes (
        id INT NOT NULL PRIMARY KEY,
        name VARCHAR(200) NOT NULL,
        storage TINYINT(1) NOT NULL DEFAULT 1,
        availability DOUBLE NOT NULL
      ) ${MYSQL_TABLE}`,
      `CREATE TABLE IF NOT EXISTS links (
        from_node INT NOT NULL,
        to_node INT NOT NULL,
        latency_ms DOUBLE NOT NULL,
        PRIMARY KEY (from_node, to_node)
      ) ${MYSQL_TABLE}`,
      `CREATE TABLE IF NOT EXISTS apps (
        id INT NOT NULL PRIMARY KEY,
        node_id INT NOT NULL,
        goal TEXT NOT NULL,
        dataset_id BIGINT NULL
      ) ${MYSQL_TABLE}`,
      `CREATE TABLE IF NOT EXISTS datasets (
        id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
        family_id BIGINT NOT NULL,
        node_id INT NOT NULL,
        bucket VARCHAR(255) NOT NULL,
        object_key VARCHAR(1024) NOT NULL,
        version INT NOT NULL DEFAULT 1,
        created_at_ms BIGINT NOT NULL,
        KEY datasets_family (family_id)
      ) ${MYSQL_TABLE}`,
      `CREATE TABLE IF NOT EXISTS events (
        id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
        app_id INT NOT NULL,
        dataset_id BIGINT NOT NULL,
        action_label VARCHAR(64) NOT NULL,
        action_type VARCHAR(16) NOT NULL,
        created_at_ms BIGINT NOT NULL,
        closes_at_ms BIGINT NOT NULL,
        active TINYINT(1) NOT NULL DEFAULT 1,
        explored TINYINT(1) NOT NULL DEFAULT 0,
        sum_feedback DOUBLE NOT NULL DEFAULT 0,
        global_feedback DOUBLE NULL,
        KEY events_active_closes (active, closes_at_ms),
        KEY events_app (app_id)
      ) ${MYSQL_TABLE}`,
      `CREATE TABLE IF NOT EXISTS feedback (
        event_id BIGINT NOT NULL,
        app_id INT NOT NULL,
        value DOUBLE NOT NULL,
        created_at_ms BIGINT NOT NULL,
        PRIMARY KEY (event_id, app_id)
      ) ${MYSQL_TABLE}`,
      `CREATE TABLE IF NOT EXISTS action_counters (
        action_label VARCHAR(64) NOT NULL PRIMARY KEY,
        value INT NOT NULL DEFAULT 0
      ) ${MYSQL_TABLE}`,
      `CREATE TABLE IF NOT EXISTS impact_vectors (
        app_id INT NOT NULL,
        action_label VARCHAR(64) NOT NULL,
        rt DOUBLE NOT NULL, et DOUBLE NOT NULL, x DOUBLE NOT NULL, nl DOUBLE NOT NULL, av DOUBLE NOT NULL, dc DOUBLE NOT NULL,
        source VARCHAR(16) NOT NULL,
        updated_at_ms BIGINT NOT NULL,
        PRIMARY KEY (app_id, action_label)
      ) ${MYSQL_TABLE}`,
      `CREATE TABLE IF NOT EXISTS runs (
        id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
        app_id INT NOT NULL,
        dataset_id BIGINT NULL,
        data_node INT NULL,
        started_at_ms BIGINT NOT NULL,
        rt_ms DOUBLE NOT NULL,
        et_ms DOUBLE NOT NULL,
        throughput DOUBLE NOT NULL,
        latency_ms DOUBLE NOT NULL,
        availability DOUBLE NOT NULL,
        consistency DOUBLE NOT NULL,
        goal_met TINYINT(1) NOT NULL,
        action_label VARCHAR(64) NULL,
        error TEXT NULL,
        KEY runs_app (app_id, id)
      ) ${MYSQL_TABLE}`,
    ],
  },
  {
    version: 2,
    name: 'decisions: the trace of each violated check (violated terms, best candidates, choice), one per run',
    sqlite: [
      `CREATE TABLE IF NOT EXISTS decisions (
        run_id INTEGER PRIMARY KEY,
        app_id INTEGER NOT NULL,
        created_at_ms INTEGER NOT NULL,
        trace TEXT NOT NULL
      )`,
      'CREATE INDEX IF NOT EXISTS decisions_app ON decisions (app_id, run_id)',
    ],
    mysql: [
      `CREATE TABLE IF NOT EXISTS decisions (
        run_id BIGINT NOT NULL PRIMARY KEY,
        app_id INT NOT NULL,
        created_at_ms BIGINT NOT NULL,
        trace TEXT NOT NULL,
        KEY decisions_app (app_id, run_id)
      ) ${MYSQL_TABLE}`,
    ],
  },
  {
    version: 3,
    name: 'timeline: nodes taken down, link bandwidth limits, and every step applied (issue 15)',
    sqlite: [
      `CREATE TABLE IF NOT EXISTS node_status (
        node_id INTEGER PRIMARY KEY,
        down INTEGER NOT NULL DEFAULT 0,
        changed_at_ms INTEGER NOT NULL
      )`,
      `CREATE TABLE IF NOT EXISTS link_bandwidth (
        from_node INTEGER NOT NULL,
        to_node INTEGER NOT NULL,
        rate_kbps INTEGER NOT NULL,
        PRIMARY KEY (from_node, to_node)
      )`,
      `CREATE TABLE IF NOT EXISTS timeline (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at_ms INTEGER NOT NULL,
        kind TEXT NOT NULL,
        args TEXT NOT NULL,
        source TEXT NOT NULL,
        error TEXT NULL
      )`,
    ],
    mysql: [
      `CREATE TABLE IF NOT EXISTS node_status (
        node_id INT NOT NULL PRIMARY KEY,
        down TINYINT(1) NOT NULL DEFAULT 0,
        changed_at_ms BIGINT NOT NULL
      ) ${MYSQL_TABLE}`,
      `CREATE TABLE IF NOT EXISTS link_bandwidth (
        from_node INT NOT NULL,
        to_node INT NOT NULL,
        rate_kbps INT NOT NULL,
        PRIMARY KEY (from_node, to_node)
      ) ${MYSQL_TABLE}`,
      `CREATE TABLE IF NOT EXISTS timeline (
        id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
        at_ms BIGINT NOT NULL,
        kind VARCHAR(32) NOT NULL,
        args TEXT NOT NULL,
        source VARCHAR(16) NOT NULL,
        error TEXT NULL
      ) ${MYSQL_TABLE}`,
    ],
  },
  {
    version: 4,
    name: 'removals: nodes and apps the admin deleted, kept out when a restart seeds the scenario (issue 18.6)',
    sqlite: [
      `CREATE TABLE IF NOT EXISTS removals (
        kind TEXT NOT NULL,
        id INTEGER NOT NULL,
        removed_at_ms INTEGER NOT NULL,
        PRIMARY KEY (kind, id)
      )`,
    ],
    mysql: [
      `CREATE TABLE IF NOT EXISTS removals (
        kind VARCHAR(8) NOT NULL,
        id INT NOT NULL,
        removed_at_ms BIGINT NOT NULL,
        PRIMARY KEY (kind, id)
      ) ${MYSQL_TABLE}`,
    ],
  },
];

/** Every table the migrations create, for tools that list or reset the schema. */
export const TABLES = ['nodes', 'links', 'apps', 'datasets', 'events', 'feedback', 'action_counters', 'impact_vectors', 'runs', 'decisions', 'node_status', 'link_bandwidth', 'timeline', 'removals', 'schema_migrations'] as const;

export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;
