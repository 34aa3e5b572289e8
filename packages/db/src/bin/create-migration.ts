// `npm run db:migration -- NAME`: writes prisma/migrations/<timestamp>_NAME/migration.sql from
// the difference between the existing migrations and prisma/schema.prisma.
import { relative } from 'node:path';
import { createMigration, MIGRATION_NAME, repoRoot } from '../migrate.ts';

const name = process.argv[2];
if (!name || process.argv.length > 3 || !MIGRATION_NAME.test(name)) {
  console.error('usage: npm run db:migration -- NAME   (NAME: lower-case letters, digits and _)');
  process.exit(2);
}
try {
  const created = await createMigration({ name });
  console.log(created ? relative(repoRoot, `${created.dir}/migration.sql`) : 'no schema changes');
} catch (error) {
  console.error(`db:migration failed: ${firstLine(error)}`);
  process.exit(1);
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? 'unknown error';
}
