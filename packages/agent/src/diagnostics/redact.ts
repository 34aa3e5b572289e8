/**
 * Secrets out of a diagnostics bundle, two ways: by name (a value under a key that names a key,
 * token, secret or password is replaced whatever it holds) and by value (PEM private keys, and
 * the device's own known secrets wherever they appear, log lines included).
 */

export const REDACTED = '[redacted]';

const SECRET_NAME = /key|token|secret|passw|passphrase|credential|cookie|authorization/i;
const PRIVATE_KEY_PEM = /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)/g;
/** `--token xyz`, `token=xyz`, `"token":"xyz"` in free text such as a logged command line. */
const SECRET_ARGUMENT =
  /(--(?:token|secret|password)[= ]\s*|(?:token|secret|password)["']?\s*[:=]\s*["']?)[^\s"',;]{6,}/gi;

export interface Redactor {
  /** A deep copy of `value` with secrets replaced. */
  <T>(value: T): T;
}

/** `known`: secret values of this device (its private key PEM, a poll secret) to blank out anywhere. */
export function redactor(known: readonly (string | null | undefined)[]): Redactor {
  // Longest first, so a secret containing another is replaced whole; short ones would blank out noise.
  const secrets = [...new Set(known.filter((s): s is string => typeof s === 'string' && s.trim().length >= 8))]
    .map((s) => s.trim())
    .sort((a, b) => b.length - a.length);
  const text = (s: string) => {
    let out = s.replace(PRIVATE_KEY_PEM, REDACTED);
    for (const secret of secrets) out = out.split(secret).join(REDACTED);
    return out.replace(SECRET_ARGUMENT, `$1${REDACTED}`);
  };
  const walk = (value: unknown): unknown => {
    if (typeof value === 'string') return text(value);
    if (Array.isArray(value)) return value.map(walk);
    if (value instanceof Date) return value.toISOString();
    if (value && typeof value === 'object') {
      return Object.fromEntries(
        Object.entries(value).map(([k, v]) => [k, SECRET_NAME.test(k) && v != null ? REDACTED : walk(v)]),
      );
    }
    return value;
  };
  return walk as Redactor;
}
