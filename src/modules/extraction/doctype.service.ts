/** An organization's own document types: list (with the built-in ones), create, change, delete. */
import { type Actor, authorize } from '../../authz';
import type { Ctx } from '../../shared/context';
import { AppError, notFound } from '../../shared/errors';
import { newId } from '../../shared/ids';
import { recordAudit } from '../audit/audit.service';
import { ZCustomType, type CustomTypeInput, type TypeDef } from './doctypes';
import { typeDefs } from './extraction.engine';
import * as repo from './extraction.repository';

export { ZCustomType };

/** Every type the organization can use: invoice, receipt, other, then its own. */
export async function listTypes(ctx: Ctx, actor: Actor): Promise<TypeDef[]> {
  authorize(actor, 'document.read');
  return typeDefs(ctx.db, actor.orgId);
}

export async function createType(ctx: Ctx, actor: Actor, input: CustomTypeInput): Promise<TypeDef> {
  authorize(actor, 'doctype.manage');
  if (await repo.findType(ctx.db, actor.orgId, input.key)) throw new AppError('conflict', `A document type with the key "${input.key}" exists.`);
  const now = ctx.clock.now().toISOString();
  await ctx.db.transaction().execute(async (trx) => {
    await repo.insertType(trx, { id: newId(), org_id: actor.orgId, key: input.key, name: input.name, keywords: JSON.stringify(input.keywords), fields: JSON.stringify(input.fields), created_at: now, updated_at: now });
    await recordAudit(trx, ctx.clock, ctx.meta, { action: 'doctype.created', orgId: actor.orgId, actorId: actor.userId, targetType: 'document_type', targetId: input.key, data: { name: input.name } });
  });
  return { key: input.key, name: input.name, builtin: false, keywords: input.keywords, fields: input.fields, lineItems: false };
}

/** Changes a custom type (its key stays); documents extracted before keep their fields until reviewed or reprocessed. */
export async function updateType(ctx: Ctx, actor: Actor, key: string, input: CustomTypeInput): Promise<TypeDef> {
  authorize(actor, 'doctype.manage');
  if (!(await repo.findType(ctx.db, actor.orgId, key))) throw notFound('Document type');
  if (input.key !== key) throw new AppError('validation_failed', 'The key of a document type cannot change.');
  const now = ctx.clock.now().toISOString();
  await ctx.db.transaction().execute(async (trx) => {
    await repo.updateType(trx, actor.orgId, key, { name: input.name, keywords: JSON.stringify(input.keywords), fields: JSON.stringify(input.fields), updated_at: now });
    await recordAudit(trx, ctx.clock, ctx.meta, { action: 'doctype.updated', orgId: actor.orgId, actorId: actor.userId, targetType: 'document_type', targetId: key, data: { name: input.name } });
  });
  return { key, name: input.name, builtin: false, keywords: input.keywords, fields: input.fields, lineItems: false };
}

/** Deletes a custom type no document uses. */
export async function deleteType(ctx: Ctx, actor: Actor, key: string): Promise<void> {
  authorize(actor, 'doctype.manage');
  if (!(await repo.findType(ctx.db, actor.orgId, key))) throw notFound('Document type');
  const used = await repo.countExtractionsOfType(ctx.db, actor.orgId, key);
  if (used) throw new AppError('conflict', `${used} document${used === 1 ? ' is' : 's are'} of this type. Change their type first.`);
  await ctx.db.transaction().execute(async (trx) => {
    await repo.deleteType(trx, actor.orgId, key);
    await recordAudit(trx, ctx.clock, ctx.meta, { action: 'doctype.deleted', orgId: actor.orgId, actorId: actor.userId, targetType: 'document_type', targetId: key });
  });
}
