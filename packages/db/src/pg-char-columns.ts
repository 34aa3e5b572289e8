// A fix-up for adapter-pg when it carries Prisma's schema engine rather than the query engine.
import { ColumnTypeEnum } from '@prisma/driver-adapter-utils';

// adapter-pg rejects PostgreSQL's one-byte "char" type (OID 18: "Column type 'char' could not
// be deserialized"), which the engine's schema describer selects from the catalogs
// (pg_class.relkind, pg_constraint.contype, ...) and reads as a Character column. So such
// columns are relabelled TEXT for adapter-pg's mapping and reported back as Character.
const CHAR_OID = 18;
const TEXT_OID = 25;

interface Queryable {
  performIO(query: object): Promise<{ fields: { dataTypeID: number }[] }>;
  queryRaw(query: object): Promise<{ columnTypes: number[] }>;
  startTransaction?(...args: unknown[]): Promise<object>;
}

/** Patches one adapter (and the transactions it opens), never adapter-pg globally. */
export function readCharColumns<T extends object>(queryable: T): T {
  const target = queryable as T & Queryable;
  const charColumns = new WeakMap<object, number[]>();
  const performIO = target.performIO.bind(target);
  target.performIO = async (query) => {
    const result = await performIO(query);
    const found: number[] = [];
    result.fields.forEach((field, i) => {
      if (field.dataTypeID !== CHAR_OID) return;
      field.dataTypeID = TEXT_OID;
      found.push(i);
    });
    charColumns.set(query, found);
    return result;
  };
  const queryRaw = target.queryRaw.bind(target);
  target.queryRaw = async (query) => {
    const result = await queryRaw(query);
    for (const i of charColumns.get(query) ?? []) result.columnTypes[i] = ColumnTypeEnum.Character;
    return result;
  };
  const startTransaction = target.startTransaction?.bind(target);
  if (startTransaction) target.startTransaction = async (...args) => readCharColumns(await startTransaction(...args));
  return queryable;
}
