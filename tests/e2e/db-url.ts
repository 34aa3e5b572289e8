/** Where serve.ts leaves the e2e database's URL, inside the run's data dir. */
export const DATABASE_URL_FILE = 'e2e-database-url';
