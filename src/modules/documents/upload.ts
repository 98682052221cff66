import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { Context } from 'hono';
import { AppError } from '../../shared/errors';

/** Paths that take file uploads, and so get the upload size limit instead of the JSON one. */
export const UPLOAD_PATH = /^\/(api\/v1\/orgs|o)\/[^/]+\/documents(\/upload|\/[^/]+\/versions)?\/?$/;

export interface UploadedFile {
  filename: string;
  type: string | null;
  stream(): Readable;
}

/** Files of a multipart form's `file` field, and its other fields as strings. */
export async function readUpload(c: Context): Promise<{ files: UploadedFile[]; fields: Record<string, string> }> {
  if (!(c.req.header('Content-Type') ?? '').toLowerCase().startsWith('multipart/form-data')) {
    throw new AppError('unsupported_media_type', 'Upload files as multipart/form-data with the file in the field "file".');
  }
  let body: Record<string, unknown>;
  try {
    body = await c.req.parseBody({ all: true });
  } catch (err) {
    throw new AppError('bad_request', 'The upload could not be read: the multipart body is malformed.', { cause: err });
  }
  const files: UploadedFile[] = [];
  const fields: Record<string, string> = {};
  for (const [key, value] of Object.entries(body)) {
    for (const v of Array.isArray(value) ? value : [value]) {
      if (v instanceof File && key === 'file') {
        files.push({ filename: v.name || 'untitled', type: v.type || null, stream: () => Readable.fromWeb(v.stream() as unknown as WebReadableStream<Uint8Array>) });
      } else if (typeof v === 'string' && !(key in fields)) fields[key] = v;
    }
  }
  if (!files.length) throw new AppError('validation_failed', 'No file was uploaded: send it in the multipart field "file".');
  return { files, fields };
}

/** A Content-Disposition header that is safe for any filename. */
export function contentDisposition(filename: string, type: 'attachment' | 'inline' = 'attachment'): string {
  const ascii = filename.replace(/[^\x20-\x7e]/g, '_').replace(/["\\;]/g, '_');
  return `${type}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename)}`;
}
