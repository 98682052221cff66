import sharp from 'sharp';
import type { Actor } from '../../authz';
import type { Ctx } from '../../shared/context';
import { AppError, notFound } from '../../shared/errors';
import { readBlob } from '../../platform/storage';
import type { GrayImage } from '../../platform/workers/tasks/types';
import * as repo from './document.repository';
import { loadDocument } from './document.service';

const PREVIEW_DPI = 110;
const PREVIEW_MAX_WIDTH = 1000;

function toPng(image: GrayImage): Promise<Buffer> {
  return sharp(Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength), { raw: { width: image.width, height: image.height, channels: 1 } })
    .resize({ width: Math.min(PREVIEW_MAX_WIDTH, image.width), withoutEnlargement: true })
    .png({ compressionLevel: 8 })
    .toBuffer();
}

/**
 * A PNG of one page of the current version, rendered on first request in the worker pool
 * and kept in the blob store for the next.
 */
export async function renderPreview(ctx: Ctx, actor: Actor, documentId: string, pageNumber: number): Promise<Buffer> {
  const doc = await loadDocument(ctx, actor, documentId);
  if (!Number.isInteger(pageNumber) || pageNumber < 1 || !doc.current_version_id) throw notFound('Page');
  const page = await repo.findPage(ctx.db, actor.orgId, doc.current_version_id, pageNumber);
  if (!page) throw notFound('Page');
  if (page.preview_key && (await ctx.blobs.exists(page.preview_key))) {
    return Buffer.from(await readBlob(ctx.blobs, page.preview_key));
  }
  const version = await repo.findVersion(ctx.db, actor.orgId, doc.current_version_id);
  if (!version) throw notFound('Page');
  let image: GrayImage;
  if (doc.kind === 'pdf') {
    const r = await ctx.workers().renderPdfPages({ bytes: await readBlob(ctx.blobs, version.blob_key), password: doc.pending_password ?? undefined, pages: [pageNumber], dpi: PREVIEW_DPI });
    if (r.kind === 'error') throw new AppError('not_found', `No preview: ${r.message}`);
    const p = r.pages[0];
    if (!p || p.kind !== 'rendered') throw new AppError('not_found', `No preview: ${p && 'message' in p ? p.message : 'the page could not be drawn'}`);
    image = p.image;
  } else if (doc.kind === 'png' || doc.kind === 'jpeg' || doc.kind === 'tiff') {
    const r = await ctx.workers().decodeImage({ bytes: await readBlob(ctx.blobs, version.blob_key) });
    if (r.kind === 'error' || !r.pages[pageNumber - 1]) throw new AppError('not_found', 'No preview: the image could not be decoded');
    image = r.pages[pageNumber - 1];
  } else {
    throw new AppError('not_found', 'This kind of document has no page images; its text is shown instead.');
  }
  const png = await toPng(image);
  const put = await ctx.blobs.put(png);
  await repo.setPreviewKey(ctx.db, actor.orgId, version.id, pageNumber, put.key);
  return png;
}
