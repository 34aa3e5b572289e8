import { randomUUID } from 'node:crypto';
import type { Db } from '@edgefleet/db/client';
import type { Principal } from '../access.ts';
import { recordAudit } from '../audit.ts';
import { DomainError } from '../errors.ts';
import { normaliseGroupName, normaliseTags, type Tags } from './common.ts';

export interface PreauthEntry {
  serialNumber?: string;
  hardwareId?: string;
  group?: string;
  tags?: Record<string, string>;
}

export const MAX_PREAUTH_ENTRIES = 100_000;
const COLUMNS = ['serialNumber', 'hardwareId', 'group', 'tags'] as const;
type Column = (typeof COLUMNS)[number];

const invalid = (where: string, message: string) => new DomainError('INVALID', `${where}: ${message}`);

/** `k=v;k=v` → { k: v }; the CSV way of writing tags (values may hold '=' but not ';'). */
function parseTagList(text: string, where: string): Tags {
  const tags: Record<string, string> = {};
  for (const part of text.split(';').map((p) => p.trim())) {
    if (!part) continue;
    const eq = part.indexOf('=');
    if (eq <= 0) throw invalid(where, `tag "${part}" must be written key=value`);
    tags[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return normaliseTags(tags, where);
}

function checkEntry(raw: Record<string, unknown>, where: string): PreauthEntry {
  const text = (key: string, max: number) => {
    const v = raw[key];
    if (v === undefined || v === null || v === '') return undefined;
    if (typeof v !== 'string' || !v.trim() || v.trim().length > max) {
      throw invalid(where, `${key} must be a string of 1-${max} characters`);
    }
    return v.trim();
  };
  const unknown = Object.keys(raw).filter((k) => !(COLUMNS as readonly string[]).includes(k));
  if (unknown.length) throw invalid(where, `unknown field ${unknown.join(', ')} (expected ${COLUMNS.join(', ')})`);
  const serialNumber = text('serialNumber', 128);
  const hardwareId = text('hardwareId', 128);
  if (!serialNumber && !hardwareId) throw invalid(where, 'needs a serialNumber or a hardwareId');
  const group = text('group', 100);
  const tags =
    typeof raw.tags === 'string'
      ? parseTagList(raw.tags, where)
      : raw.tags && typeof raw.tags === 'object' && !Array.isArray(raw.tags)
        ? normaliseTags(raw.tags as Record<string, unknown>, where)
        : raw.tags == null
          ? {}
          : (() => {
              throw invalid(where, 'tags must be an object or a k=v;k=v string');
            })();
  return {
    ...(serialNumber ? { serialNumber } : {}),
    ...(hardwareId ? { hardwareId } : {}),
    ...(group ? { group: normaliseGroupName(group) } : {}),
    tags,
  };
}

/** Splits one CSV line (RFC 4180 quoting within the line; fields cannot span lines). */
function csvFields(line: string, where: string): string[] {
  const fields: string[] = [];
  let i = 0;
  while (i <= line.length) {
    if (line[i] === '"') {
      let value = '';
      i++;
      for (;;) {
        if (i >= line.length) throw invalid(where, 'unterminated quoted field');
        if (line[i] === '"' && line[i + 1] === '"') {
          value += '"';
          i += 2;
        } else if (line[i] === '"') break;
        else value += line[i++];
      }
      i++;
      if (i < line.length && line[i] !== ',') throw invalid(where, 'text after a closing quote');
      fields.push(value);
    } else {
      const end = line.indexOf(',', i);
      fields.push(line.slice(i, end === -1 ? line.length : end).trim());
      i = end === -1 ? line.length : end;
    }
    i++;
  }
  return fields;
}

function parseCsv(text: string, filename: string): PreauthEntry[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  let header: Column[] | null = null;
  const entries: PreauthEntry[] = [];
  lines.forEach((line, index) => {
    const where = `${filename} line ${index + 1}`;
    if (!line.trim() || line.trimStart().startsWith('#')) return;
    const fields = csvFields(line, where);
    if (!header) {
      const bad = fields.filter((f) => !(COLUMNS as readonly string[]).includes(f));
      if (bad.length) throw invalid(where, `unknown column ${bad.join(', ')} (header must name ${COLUMNS.join(', ')})`);
      if (!fields.includes('serialNumber') && !fields.includes('hardwareId')) {
        throw invalid(where, 'header needs a serialNumber or a hardwareId column');
      }
      header = fields as Column[];
      return;
    }
    if (fields.length !== header.length)
      throw invalid(where, `expected ${header.length} fields, found ${fields.length}`);
    const columns = header;
    entries.push(checkEntry(Object.fromEntries(fields.map((f, i) => [columns[i], f])), where));
  });
  if (!header) throw invalid(filename, 'empty file: expected a header line');
  return entries;
}

/** Line number of each top-level array element, so schema errors in JSON can name a line too. */
function elementLines(text: string): number[] {
  const lines: number[] = [];
  let depth = 0;
  let line = 1;
  let inString = false;
  let expecting = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] ?? '';
    if (ch === '\n') line++;
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
      continue;
    }
    if (expecting && !/\s/.test(ch) && ch !== ']') {
      lines.push(line);
      expecting = false;
    }
    if (ch === '"') inString = true;
    else if (ch === '{' || ch === '[') expecting = ++depth === 1;
    else if (ch === '}' || ch === ']') depth--;
    else if (ch === ',' && depth === 1) expecting = true;
  }
  return lines;
}

function parseJson(text: string, filename: string): PreauthEntry[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    const position = /position (\d+)/.exec(String(error))?.[1];
    const line = position ? text.slice(0, Number(position)).split('\n').length : undefined;
    throw invalid(line ? `${filename} line ${line}` : filename, 'not valid JSON');
  }
  if (!Array.isArray(data)) throw invalid(`${filename} line 1`, 'expected a JSON array of entries');
  const lines = elementLines(text);
  return data.map((item, i) => {
    const where = `${filename} line ${lines[i] ?? '?'} (entry ${i + 1})`;
    if (!item || typeof item !== 'object' || Array.isArray(item)) throw invalid(where, 'each entry must be an object');
    return checkEntry(item as Record<string, unknown>, where);
  });
}

/**
 * Reads a pre-authorization file: a JSON array of entries, or CSV with a header naming
 * serialNumber, hardwareId, group and tags (as k=v;k=v). Errors name the file and line.
 */
export function parsePreauthorizationFile(text: string, filename: string): PreauthEntry[] {
  const json = /\.json$/i.test(filename) || (!/\.csv$/i.test(filename) && text.trimStart().startsWith('['));
  const entries = json ? parseJson(text, filename) : parseCsv(text, filename);
  if (entries.length === 0) throw invalid(filename, 'no entries');
  if (entries.length > MAX_PREAUTH_ENTRIES) throw invalid(filename, `at most ${MAX_PREAUTH_ENTRIES} entries per file`);
  return entries;
}

/**
 * Records expected devices. Each serial number and hardware id becomes one row (an entry with
 * both can match either); `added` and `skipped` count those identifiers, skipped meaning
 * already pre-authorized (or repeated in the input).
 */
export async function preauthorizeDevices(
  db: Db,
  actor: Principal,
  entries: PreauthEntry[],
): Promise<{ added: number; skipped: number }> {
  if (entries.length > MAX_PREAUTH_ENTRIES) throw new DomainError('INVALID', `at most ${MAX_PREAUTH_ENTRIES} entries`);
  const rows = entries.flatMap((raw, i) => {
    const e = checkEntry({ ...raw }, `entry ${i + 1}`);
    const base = { groupName: e.group ?? null, tags: e.tags ?? {} };
    return [
      ...(e.serialNumber ? [{ id: randomUUID(), kind: 'serial', value: e.serialNumber, ...base }] : []),
      ...(e.hardwareId ? [{ id: randomUUID(), kind: 'hardwareId', value: e.hardwareId, ...base }] : []),
    ];
  });
  let added = 0;
  for (let i = 0; i < rows.length; i += 1000) {
    const r = await db.preauthorizedDevice.createMany({ data: rows.slice(i, i + 1000), skipDuplicates: true });
    added += r.count;
  }
  const result = { added, skipped: rows.length - added };
  await recordAudit(db, { actor, action: 'device.preauthorize', outcome: 'success', detail: result });
  return result;
}
