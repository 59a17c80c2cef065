import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, StartupError } from '../config';
import { randomBase62 } from './keys';

export interface Sealer {
  seal(plaintext: string): string;
  open(sealed: string): string;
}

/** AES-256-GCM with a 96-bit random IV; output is base64url(iv | ciphertext | tag). */
export function createSealer(secret: Buffer): Sealer {
  if (secret.length !== 32) throw new Error('the server secret must be 32 bytes');
  return {
    seal(plaintext) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', secret, iv);
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url');
    },
    open(sealed) {
      const raw = Buffer.from(sealed, 'base64url');
      if (raw.length < 28) throw new Error('sealed value is too short');
      const decipher = createDecipheriv('aes-256-gcm', secret, raw.subarray(0, 12));
      decipher.setAuthTag(raw.subarray(raw.length - 16));
      return Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]).toString('utf8');
    },
  };
}

/** Reads a secret file from the data dir, creating it (mode 0600) on first start. */
export function loadOrCreateSecretFile(dataDir: string, name: string, create: () => string): { value: string; created: boolean } {
  const path = join(dataDir, name);
  if (existsSync(path)) return { value: readFileSync(path, 'utf8').trim(), created: false };
  const value = create();
  writeFileSync(path, `${value}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(path, 0o600);
  return { value, created: true };
}

/**
 * The key-sealing secret. Without `configured` (TOLLGATE_SERVER_SECRET), the data dir's file,
 * generated on first start. With it, the file is written from it on first start, so that a later
 * start without the variable still opens the keys; a file holding another secret is refused, as
 * every key and upstream key in the database is sealed with that one. A database that already
 * holds sealed keys (`sealedSample` is one of them) needs the very secret that sealed them: then a
 * missing file is not made anew from nothing, and a secret that cannot open the sample is refused
 * (a restore without its server-secret, or another one), with one line and exit status 2 from main.
 */
export function loadServerSecret(dataDir: string, configured?: string, sealedSample?: string): Buffer {
  const path = join(dataDir, 'server-secret');
  if (sealedSample !== undefined && configured === undefined && !existsSync(path)) {
    throw new ConfigError(path, `missing, but the database holds keys sealed with a server secret: put the original server-secret there (kept apart from the backups) before starting`);
  }
  const { value } = loadOrCreateSecretFile(dataDir, 'server-secret', () => configured ?? randomBytes(32).toString('base64'));
  const secret = Buffer.from(value, 'base64');
  if (secret.length !== 32) throw new ConfigError(path, 'not a 32-byte base64 secret');
  if (configured !== undefined && !secret.equals(Buffer.from(configured, 'base64'))) {
    throw new StartupError(
      `TOLLGATE_SERVER_SECRET differs from ${path}, which sealed the keys in this data dir; unset the variable, or set it to the file's content`,
    );
  }
  if (sealedSample !== undefined) {
    try {
      createSealer(secret).open(sealedSample);
    } catch {
      throw new ConfigError(path, `cannot open the keys sealed in this database: it is not the secret they were sealed with; put the original server-secret back before starting`);
    }
  }
  return secret;
}

/**
 * The scale-out mode's secret: TOLLGATE_SERVER_SECRET alone (every instance the same, nothing
 * written to a data dir), refused when it cannot open a value already sealed in the database.
 */
export function scaleOutServerSecret(configured: string | undefined, sealedSample?: string): Buffer {
  if (configured === undefined) throw new ConfigError('TOLLGATE_SERVER_SECRET', 'required with TOLLGATE_DATABASE_URL');
  const secret = Buffer.from(configured, 'base64');
  if (sealedSample !== undefined) {
    try {
      createSealer(secret).open(sealedSample);
    } catch {
      throw new StartupError(
        'TOLLGATE_SERVER_SECRET cannot open the keys sealed in this database: set it to the secret they were sealed with (a copied SQLite deployment: its data dir’s server-secret)',
      );
    }
  }
  return secret;
}

export function loadAdminToken(dataDir: string, configured: string | undefined): { token: string; created: boolean } {
  if (configured) return { token: configured, created: false };
  const { value, created } = loadOrCreateSecretFile(dataDir, 'admin-token', () => `tg-admin-${randomBase62(32)}`);
  return { token: value, created };
}
