/**
 * The CPU-work layer of the document pipeline: pools, task results and pure helpers.
 * Callers import from here; the task modules themselves run inside the pool workers.
 */
export { DEFAULT_POOL_CONFIG, WorkerPools, WorkerTaskError } from './pools';
export type { PoolConfig, PoolName, RunOptions, WorkerErrorCode } from './pools';
export type { EmbedInput, EmbedResult } from '../embeddings/embed.task';
export type { DecodeImageInput, DecodeImageResult, ImageErrorCode, ImageFormat } from './tasks/image.task';
export type { OcrInput, OcrLine, OcrResult, OcrWord } from './tasks/ocr.task';
export type { ParsePdfInput, PdfErrorCode, PdfPage, PdfParseResult } from './tasks/pdf.task';
export type { RenderedPage, RenderErrorCode, RenderPdfInput, RenderPdfResult } from './tasks/render.task';
export type { PdfLine, PdfWord } from './tasks/text-layer';
export { USABLE_TEXT } from './tasks/text-layer';
export { toSourceBox } from './tasks/raster';
export { DEFAULT_LIMITS } from './tasks/types';
export type { Box, DocumentLimits, GrayImage, QuarterTurn, TaskFailure } from './tasks/types';
