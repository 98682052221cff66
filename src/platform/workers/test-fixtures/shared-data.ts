/**
 * Locates the shared test data (`../shared/data` beside the repository) for the worker
 * tests, which skip with a clear message when it is absent.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');

/** Where the shared data is expected. */
export const sharedData = path.resolve(repoRoot, '../shared/data');

/** True when `relative` exists under the shared data; warns once per missing path otherwise. */
export function hasSharedData(relative: string): boolean {
  const full = path.join(sharedData, relative);
  if (fs.existsSync(full)) return true;
  console.warn(`Skipping tests that need ${full}: the shared data folder is not present on this machine.`);
  return false;
}

/** One entry of pdfs/manifest.json (the fields the tests use). */
export interface PdfManifestEntry {
  file: string;
  category: string;
  pdfinfo_rc?: number;
  pages?: number | null;
  encrypted?: boolean;
  password?: string | null;
  owner_password?: string | null;
}

/** The PDF corpus manifest. */
export function readPdfManifest(): PdfManifestEntry[] {
  return JSON.parse(fs.readFileSync(path.join(sharedData, 'pdfs/manifest.json'), 'utf8'));
}

/** Bytes of a shared data file as an owned Uint8Array (ready to be transferred). */
export function readShared(relative: string): Uint8Array {
  return new Uint8Array(fs.readFileSync(path.join(sharedData, relative)));
}
