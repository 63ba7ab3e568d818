import { join } from 'node:path';
import { TemporalCliError } from '../../errors.js';
import { runCommand } from '../run-command.js';

/** What {@link setUpSchemas} needs: the tool, the release's schema folder, and how to reach PostgreSQL. */
export interface SchemaSetupOptions {
  readonly sqlTool: string;
  /** `schema/postgresql/v12` of the server release. */
  readonly postgresSchema: string;
  /** `SQL_PLUGIN`, `SQL_HOST`, `SQL_PORT`, `SQL_USER`, `SQL_PASSWORD`, as {@link schemaToolEnv} gives them. */
  readonly env: Record<string, string>;
  readonly databases: { readonly temporal: string; readonly visibility: string };
  readonly log: (message: string) => void;
}

/**
 * Creates the persistence and visibility databases when missing and brings both schemas to the release's version,
 * with `temporal-sql-tool` as Temporal's own setup does. Idempotent: a second run changes nothing, and databases
 * of an older release are upgraded.
 */
export async function setUpSchemas(options: SchemaSetupOptions): Promise<void> {
  const steps: [database: string, versioned: string][] = [
    [options.databases.temporal, join(options.postgresSchema, 'temporal', 'versioned')],
    [options.databases.visibility, join(options.postgresSchema, 'visibility', 'versioned')],
  ];
  for (const [database, versioned] of steps) {
    // Each step is idempotent (checked with 1.29.1): creating an existing database succeeds, and setting up the
    // version table of a database at a later version keeps that version.
    await sqlTool(options, ['--db', database, 'create-database']);
    await sqlTool(options, ['--db', database, 'setup-schema', '-v', '0.0']);
    await sqlTool(options, ['--db', database, 'update-schema', '-d', versioned]);
    options.log(`schema of ${database} is up to date`);
  }
}

/** Runs the tool; throws with the end of its output when it fails. */
async function sqlTool(options: SchemaSetupOptions, args: readonly string[]): Promise<void> {
  const { code, tail } = await runCommand(options.sqlTool, args, { ...process.env, ...options.env });
  if (code === 0) return;
  throw new TemporalCliError(`temporal-sql-tool ${args.join(' ')} failed with exit code ${code}.`, tail);
}
