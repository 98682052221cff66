import type { Document, DocumentVersion } from '../../platform/db/schema';

export interface DocumentError {
  code: string;
  message: string;
}

export interface DocumentProgress {
  step: string;
  percent: number;
}

/** What the API and pages show of a document. */
export interface PresentedDocument {
  id: string;
  name: string;
  status: Document['status'];
  kind: string | null;
  mime: string | null;
  size: number;
  pageCount: number | null;
  folderId: string | null;
  parentId: string | null;
  ownerId: string | null;
  source: Document['source'];
  tags: string[];
  error?: DocumentError;
  progress?: DocumentProgress;
  trashed: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface PresentedVersion {
  id: string;
  number: number;
  filename: string;
  size: number;
  current: boolean;
  createdAt: string;
  createdBy: string | null;
}

function parseProgress(raw: string | null): DocumentProgress | undefined {
  if (!raw) return undefined;
  try {
    return JSON.parse(raw) as DocumentProgress;
  } catch {
    return undefined;
  }
}

export function presentDocument(d: Document, tags: string[] = []): PresentedDocument {
  const out: PresentedDocument = {
    id: d.id,
    name: d.name,
    status: d.status,
    kind: d.kind,
    mime: d.mime,
    size: Number(d.size),
    pageCount: d.page_count === null ? null : Number(d.page_count),
    folderId: d.folder_id,
    parentId: d.parent_id,
    ownerId: d.owner_id,
    source: d.source,
    tags,
    trashed: d.deleted_at !== null,
    createdAt: d.created_at,
    updatedAt: d.updated_at,
  };
  if (d.error_code) out.error = { code: d.error_code, message: d.error_message ?? 'Processing failed.' };
  const progress = parseProgress(d.progress);
  if (progress && (d.status === 'queued' || d.status === 'processing')) out.progress = progress;
  return out;
}

export function presentVersion(v: DocumentVersion, currentId: string | null): PresentedVersion {
  return { id: v.id, number: Number(v.number), filename: v.filename, size: Number(v.size), current: v.id === currentId, createdAt: v.created_at, createdBy: v.created_by };
}
