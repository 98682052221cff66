import { z } from 'zod';
import { type Actor, authorize } from '../../authz';
import type { Folder } from '../../platform/db/schema';
import type { Ctx } from '../../shared/context';
import { AppError, notFound } from '../../shared/errors';
import { newId } from '../../shared/ids';
import { recordAudit } from '../audit/audit.service';
import * as repo from './document.repository';

export const ZFolderInput = z.object({
  name: z.string().trim().min(1, 'Enter a name').max(200, 'Use at most 200 characters').refine((n) => !/[\/\\]/.test(n), 'A folder name cannot contain slashes'),
  parentId: z.string().min(1).nullable().optional(),
});

export interface PresentedFolder {
  id: string;
  name: string;
  parentId: string | null;
  /** Names from the top folder down to this one. */
  path: string[];
}

/** The organization's folders with their paths, in tree order. */
export async function listFolderTree(ctx: Ctx, actor: Actor): Promise<PresentedFolder[]> {
  authorize(actor, 'document.read');
  return tree(await repo.listFolders(ctx.db, actor.orgId));
}

function tree(rows: Folder[]): PresentedFolder[] {
  const byId = new Map(rows.map((r) => [r.id, r]));
  const pathOf = (id: string) => {
    const out: string[] = [];
    for (let f = byId.get(id), guard = 0; f && guard < 64; f = f.parent_id ? byId.get(f.parent_id) : undefined, guard++) out.unshift(f.name);
    return out;
  };
  return rows
    .map((r) => ({ id: r.id, name: r.name, parentId: r.parent_id, path: pathOf(r.id) }))
    .sort((a, b) => a.path.join('\u0000').localeCompare(b.path.join('\u0000')));
}

/** A folder and every folder below it. */
export async function folderWithDescendants(ctx: Ctx, orgId: string, folderId: string): Promise<string[]> {
  const rows = await repo.listFolders(ctx.db, orgId);
  if (!rows.some((r) => r.id === folderId)) throw notFound('Folder');
  const out = [folderId];
  for (let i = 0; i < out.length; i++) for (const r of rows) if (r.parent_id === out[i]) out.push(r.id);
  return out;
}

async function assertParent(ctx: Ctx, orgId: string, parentId: string | null | undefined, selfId?: string) {
  if (!parentId) return;
  if (!(await repo.findFolder(ctx.db, orgId, parentId))) throw new AppError('validation_failed', 'The parent folder does not exist');
  if (selfId && (await folderWithDescendants(ctx, orgId, selfId)).includes(parentId)) {
    throw new AppError('validation_failed', 'A folder cannot be moved inside itself');
  }
}

export async function createFolder(ctx: Ctx, actor: Actor, input: z.infer<typeof ZFolderInput>): Promise<PresentedFolder> {
  authorize(actor, 'folder.manage');
  await assertParent(ctx, actor.orgId, input.parentId);
  const folder: Folder = { id: newId(), org_id: actor.orgId, parent_id: input.parentId ?? null, name: input.name, created_by: actor.userId, created_at: ctx.clock.now().toISOString() };
  await repo.insertFolder(ctx.db, folder);
  return (await listFolderTree(ctx, actor)).find((f) => f.id === folder.id)!;
}

export async function updateFolder(ctx: Ctx, actor: Actor, id: string, input: Partial<z.infer<typeof ZFolderInput>>): Promise<PresentedFolder> {
  authorize(actor, 'folder.manage');
  if (!(await repo.findFolder(ctx.db, actor.orgId, id))) throw notFound('Folder');
  await assertParent(ctx, actor.orgId, input.parentId, id);
  await repo.updateFolder(ctx.db, actor.orgId, id, { name: input.name, parent_id: input.parentId === undefined ? undefined : input.parentId });
  return (await listFolderTree(ctx, actor)).find((f) => f.id === id)!;
}

/** Deletes a folder and its sub-folders; their documents move up to the deleted folder's parent. */
export async function deleteFolder(ctx: Ctx, actor: Actor, id: string): Promise<void> {
  authorize(actor, 'folder.manage');
  const folder = await repo.findFolder(ctx.db, actor.orgId, id);
  if (!folder) throw notFound('Folder');
  const ids = await folderWithDescendants(ctx, actor.orgId, id);
  await ctx.db.transaction().execute(async (trx) => {
    await trx.updateTable('document').set({ folder_id: folder.parent_id }).where('org_id', '=', actor.orgId).where('folder_id', 'in', ids).execute();
    await repo.deleteFolder(trx, actor.orgId, id);
    await recordAudit(trx, ctx.clock, ctx.meta, { action: 'folder.deleted', orgId: actor.orgId, actorId: actor.userId, targetType: 'folder', targetId: id, data: { name: folder.name } });
  });
}
