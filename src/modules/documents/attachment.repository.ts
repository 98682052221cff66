import type { Db } from '../../platform/db/db';
import type { Document } from '../../platform/db/schema';

/**
 * The documents that came attached to an e-mail (`parent_id`), outside the trash, by name.
 * The caller has already checked the reader may see the e-mail itself.
 */
export async function listAttachments(db: Db, orgId: string, parentId: string): Promise<Document[]> {
  return db
    .selectFrom('document')
    .selectAll()
    .where('org_id', '=', orgId)
    .where('parent_id', '=', parentId)
    .where('deleted_at', 'is', null)
    .orderBy('name')
    .orderBy('id')
    .execute();
}
