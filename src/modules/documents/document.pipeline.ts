import { z } from 'zod';
import type { Config } from '../../config';
import type { Db } from '../../platform/db/db';
import type { Document, DocumentPage } from '../../platform/db/schema';
import { extractText, FormatError, sniff } from '../../platform/formats';
import type { DocumentKind, ExtractedAttachment } from '../../platform/formats';
import { defineJob, type JobContext, type JobQueue, PermanentJobError } from '../../platform/jobs';
import { type BlobStore, readBlob } from '../../platform/storage';
import type { WorkerPools } from '../../platform/workers/pools';
import { WorkerTaskError } from '../../platform/workers/pools';
import type { GrayImage } from '../../platform/workers/tasks/types';
import type { SearchRuntime } from '../../platform/search/runtime';
import type { Clock } from '../../shared/clock';
import { newId } from '../../shared/ids';
import { saveExtraction } from '../extraction/extraction.repository';
import { extractForPipeline } from '../extraction/extraction.service';
import { prepareIndex, writeIndex } from '../search/indexer';
import * as repo from './document.repository';
import { cleanFilename, PROCESS_JOB } from './document.service';

/** What the pipeline needs; the worker pools are created on first use. */
export interface PipelineDeps {
  db: Db;
  blobs: BlobStore;
  pools(): WorkerPools;
  jobs: JobQueue;
  config: Config;
  clock: Clock;
  search: SearchRuntime;
}

const ZPayload = z.object({ documentId: z.string(), versionId: z.string().nullable() });
type Payload = z.infer<typeof ZPayload>;

/** A document-level outcome other than success, in words for the user. */
class Outcome extends Error {
  constructor(readonly status: 'failed' | 'needs_password' | 'unsupported', readonly code: string, message: string) {
    super(message);
  }
}

// Pages are OCRed this many at a time; the OCR pool bounds real parallelism.
const OCR_BATCH = 2;
// OCR renders at this resolution (lowered by the worker for very large pages).
const OCR_DPI = 300;

type PageResult = Omit<DocumentPage, 'org_id' | 'document_id' | 'version_id' | 'preview_key'>;

function wordsJson(words: { text: string; box: { x: number; y: number; w: number; h: number }; confidence?: number }[]): string {
  const r = (n: number) => Math.round(n * 10_000) / 10_000;
  return JSON.stringify(words.map((w) => ({ t: w.text, ...(w.confidence === undefined ? {} : { c: Math.round(w.confidence) }), b: [r(w.box.x), r(w.box.y), r(w.box.w), r(w.box.h)] })));
}

function workerFailure(err: unknown): Outcome | undefined {
  if (err instanceof WorkerTaskError && err.code !== 'pool_closed' && err.code !== 'aborted' && err.code !== 'queue_full') {
    return new Outcome('failed', err.code === 'timeout' ? 'processing_timeout' : err.code === 'out_of_memory' ? 'too_complex' : 'processing_crashed', err.message);
  }
  if (err instanceof FormatError) return new Outcome('failed', err.code === 'encrypted' ? 'encrypted' : `format_${err.code}`, err.message);
  return undefined;
}

/**
 * The `document.process` job: sniff → parse → ocr → extract → index, then the pages, fields, passages, status and linked
 * attachments are written together with the job's success. Every step is safe to run
 * again: a killed attempt leaves nothing half-written, and the next one starts over.
 */
export function documentJobs(deps: PipelineDeps) {
  return [
    defineJob<Payload>({
      name: PROCESS_JOB,
      schema: ZPayload,
      maxAttempts: 3,
      timeoutMs: 30 * 60_000,
      concurrency: 2,
      backoff: { baseMs: 5_000, capMs: 60_000 },
      handler: (ctx) => processDocument(deps, ctx),
    }),
  ];
}

async function processDocument(deps: PipelineDeps, ctx: JobContext<Payload>): Promise<void> {
  const orgId = ctx.orgId!;
  const { documentId, versionId } = ctx.payload;
  const doc = await repo.findDocument(deps.db, orgId, documentId);
  if (!doc || !versionId || doc.current_version_id !== versionId) {
    ctx.log.info('document gone or replaced by a newer version; nothing to do');
    await ctx.complete();
    return;
  }
  const version = await repo.findVersion(deps.db, orgId, versionId);
  if (!version) throw new PermanentJobError('document version not found');
  const report = async (step: string, percent: number) => {
    await repo.updateDocument(deps.db, orgId, documentId, { status: 'processing', progress: JSON.stringify({ step, percent: Math.round(percent) }) });
    await ctx.progress({ step, percent: Math.round(percent) });
  };
  try {
    await report('sniff', 0);
    const bytes = await readBlob(deps.blobs, version.blob_key);
    const sniffed = await sniff(bytes, version.filename);
    if (sniffed.kind === 'unsupported') throw new Outcome('unsupported', 'unsupported_type', `Unsupported type: detected ${sniffed.description} (${sniffed.mime}).`);
    await repo.updateDocument(deps.db, orgId, documentId, { kind: sniffed.kind, mime: sniffed.mime });
    await report('parse', 10);
    const { pages, attachments } = await parse(deps, ctx, doc, sniffed.kind, bytes, report);
    const now = deps.clock.now().toISOString();
    await report('extract', 96);
    const extracted = await extract(deps, ctx, doc, versionId, pages, now);
    await report('index', 98);
    const index = await prepareIndex(deps.search, ctx.log, pages, ctx.signal);
    // Files first (content-addressed: a rerun stores nothing twice), then rows in one transaction.
    const stored: { a: ExtractedAttachment; put: { key: string; size: number } }[] = [];
    for (const a of attachments) stored.push({ a, put: await deps.blobs.put(a.bytes, { maxBytes: deps.config.uploads.maxBytes }) });
    await ctx.complete(async (trx) => {
      await repo.replacePages(trx, orgId, versionId, pages.map((p) => ({ ...p, org_id: orgId, document_id: documentId, version_id: versionId, preview_key: null })));
      if (extracted) await saveExtraction(trx, extracted.row);
      const current = await repo.findDocument(trx, orgId, documentId);
      await writeIndex(trx, deps.search.dialect, { org_id: orgId, id: documentId, deleted_at: current?.deleted_at ?? null }, versionId, index, now);
      await repo.updateDocument(trx, orgId, documentId, { status: extracted?.status ?? 'ready', page_count: pages.length, progress: null, error_code: null, error_message: null, updated_at: now });
      for (const { a, put } of stored) await linkAttachment(deps, trx, doc, a, put, now);
      if (stored.length) ctx.log.info({ attachments: stored.length }, 'attachments linked');
    });
  } catch (err) {
    const outcome = err instanceof Outcome ? err : workerFailure(err);
    if (!outcome && ctx.attempt < ctx.maxAttempts && !(err instanceof PermanentJobError)) throw err;
    const final = outcome ?? new Outcome('failed', 'processing_failed', 'Processing failed repeatedly. Try again later, or contact your administrator.');
    if (!outcome) ctx.log.error({ err }, 'document processing failed for good');
    await ctx.complete(async (trx) => {
      await repo.updateDocument(trx, orgId, documentId, {
        status: final.status, error_code: final.code, error_message: final.message, progress: null, updated_at: deps.clock.now().toISOString(),
        ...(final.code === 'wrong_password' ? { pending_password: null } : {}),
      });
    });
  }
}

type Report = (step: string, percent: number) => Promise<void>;

/**
 * The `extract` step: classification and key fields from the pages' words. A fault here
 * leaves the document readable (`ready`, fields extracted when first asked for) rather
 * than failing what was parsed.
 */
async function extract(deps: PipelineDeps, ctx: JobContext<Payload>, doc: Document, versionId: string, pages: PageResult[], now: string) {
  try {
    return await extractForPipeline(deps.db, doc, versionId, pages.map((p) => ({ text: p.text, words: p.words ? JSON.parse(p.words) : null })), now);
  } catch (err) {
    ctx.log.error({ err }, 'key-field extraction failed; the document is kept without fields');
    return null;
  }
}

async function parse(deps: PipelineDeps, ctx: JobContext<Payload>, doc: Document, kind: DocumentKind, bytes: Uint8Array, report: Report): Promise<{ pages: PageResult[]; attachments: ExtractedAttachment[] }> {
  const opts = { signal: ctx.signal };
  if (kind === 'pdf') return { pages: await parsePdf(deps, doc, bytes, report, opts), attachments: [] };
  if (kind === 'png' || kind === 'jpeg' || kind === 'tiff') {
    const decoded = await deps.pools().decodeImage({ bytes: bytes.slice() }, opts);
    if (decoded.kind === 'error') throw new Outcome('failed', decoded.code, decoded.message);
    return { pages: await ocrImages(deps, decoded.pages.map((image, i) => ({ number: i + 1, image })), 20, report, opts), attachments: [] };
  }
  const extracted = await extractText(kind, bytes);
  const pages = extracted.pages.map((p): PageResult => ({ number: p.number, width: null, height: null, source: 'text', text: p.text, confidence: null, rotation: 0, words: null, error: null }));
  return { pages, attachments: extracted.attachments?.filter((a) => !a.inline) ?? [] };
}

async function parsePdf(deps: PipelineDeps, doc: Document, bytes: Uint8Array, report: Report, opts: { signal: AbortSignal }): Promise<PageResult[]> {
  const password = doc.pending_password ?? undefined;
  const parsed = await deps.pools().parsePdf({ bytes: bytes.slice(), password }, opts);
  if (parsed.kind === 'needs_password') throw new Outcome('needs_password', 'password_required', 'This PDF is protected by a password. Enter it to continue.');
  if (parsed.kind === 'wrong_password') throw new Outcome('needs_password', 'wrong_password', 'That password did not open the PDF. Try again.');
  if (parsed.kind === 'error') throw new Outcome('failed', parsed.code, parsed.message);
  const pages: PageResult[] = parsed.pages.map((p) => ({
    number: p.number, width: p.width, height: p.height, source: p.usable ? 'text' : 'none', text: p.usable ? p.text : '',
    confidence: null, rotation: p.rotation, words: p.usable ? wordsJson(p.words) : null, error: p.error?.message ?? null,
  }));
  const toOcr = parsed.pages.filter((p) => !p.usable && !p.error).map((p) => p.number);
  let done = 0;
  for (let i = 0; i < toOcr.length; i += OCR_BATCH) {
    const batch = toOcr.slice(i, i + OCR_BATCH);
    const rendered = await deps.pools().renderPdfPages({ bytes: bytes.slice(), password, pages: batch, dpi: OCR_DPI }, opts);
    if (rendered.kind === 'error') throw new Outcome('failed', rendered.code, rendered.message);
    const images = rendered.pages.flatMap((r) => {
      if (r.kind !== 'rendered') {
        pages[r.page - 1].error = r.message;
        return [];
      }
      return [{ number: r.page, image: r.image }];
    });
    for (const result of await ocrImages(deps, images, 0, async () => {}, opts)) {
      const page = pages[result.number - 1];
      Object.assign(page, { source: result.source, text: result.text, confidence: result.confidence, words: result.words, error: result.error, rotation: (page.rotation + result.rotation) % 360 });
    }
    done += batch.length;
    await report('ocr', 20 + (75 * done) / toOcr.length);
  }
  return pages;
}

/** OCR of page images, a few at a time; reports from `startPercent` to 95%. */
async function ocrImages(deps: PipelineDeps, images: { number: number; image: GrayImage }[], startPercent: number, report: Report, opts: { signal: AbortSignal }): Promise<PageResult[]> {
  const out: PageResult[] = [];
  for (let i = 0; i < images.length; i += OCR_BATCH) {
    const batch = images.slice(i, i + OCR_BATCH);
    const results = await Promise.all(batch.map((p) => deps.pools().recognize({ image: p.image, lang: deps.config.ocr.lang, engine: deps.config.ocr.engine }, opts)));
    results.forEach((r, j) => {
      const { number, image } = batch[j];
      if (r.kind === 'error') {
        out.push({ number, width: image.width, height: image.height, source: 'none', text: '', confidence: null, rotation: 0, words: null, error: r.message });
      } else {
        out.push({ number, width: image.width, height: image.height, source: 'ocr', text: r.text, confidence: Math.round(r.confidence * 10) / 10, rotation: r.rotation, words: wordsJson(r.words), error: null });
      }
    });
    if (startPercent) await report('ocr', startPercent + ((95 - startPercent) * Math.min(images.length, i + OCR_BATCH)) / images.length);
  }
  return out;
}

/** An e-mail's attachment becomes a document of its own, linked to the e-mail, processed in turn. */
async function linkAttachment(deps: PipelineDeps, trx: Db, parent: Document, a: ExtractedAttachment, put: { key: string; size: number }, now: string) {
  const id = newId();
  const versionId = newId();
  const name = cleanFilename(a.filename || 'attachment');
  await repo.insertDocument(trx, {
    id, org_id: parent.org_id, folder_id: parent.folder_id, parent_id: parent.id, owner_id: parent.owner_id, name, status: 'queued',
    error_code: null, error_message: null, progress: JSON.stringify({ step: 'queued', percent: 0 }), kind: null, mime: null, size: put.size,
    page_count: null, current_version_id: versionId, source: 'attachment', pending_password: null, deleted_at: null, created_at: now, updated_at: now,
  });
  await repo.insertVersion(trx, { id: versionId, org_id: parent.org_id, document_id: id, number: 1, blob_key: put.key, size: put.size, filename: name, declared_mime: a.contentType, created_by: parent.owner_id, created_at: now });
  await deps.jobs.enqueue(trx, { type: PROCESS_JOB, orgId: parent.org_id, payload: { documentId: id, versionId } });
}
