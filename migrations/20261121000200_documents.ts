import { type Kysely, sql } from 'kysely';

// Frozen in time: this file must not import application code.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('folder')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('org.id').onDelete('cascade'))
    .addColumn('parent_id', 'text', (c) => c.references('folder.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('folder_org_parent_idx').on('folder').columns(['org_id', 'parent_id']).execute();

  await db.schema
    .createTable('document')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('org.id').onDelete('cascade'))
    .addColumn('folder_id', 'text', (c) => c.references('folder.id').onDelete('set null'))
    .addColumn('parent_id', 'text', (c) => c.references('document.id').onDelete('set null'))
    .addColumn('owner_id', 'text')
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('queued', 'processing', 'ready', 'needs_password', 'failed', 'unsupported')`))
    .addColumn('error_code', 'text')
    .addColumn('error_message', 'text')
    .addColumn('progress', 'text')
    .addColumn('kind', 'text')
    .addColumn('mime', 'text')
    .addColumn('size', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('page_count', 'integer')
    .addColumn('current_version_id', 'text')
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('pending_password', 'text')
    .addColumn('deleted_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('document_org_folder_idx').on('document').columns(['org_id', 'deleted_at', 'folder_id']).execute();
  await db.schema.createIndex('document_org_created_idx').on('document').columns(['org_id', 'created_at']).execute();

  await db.schema
    .createTable('document_version')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('org.id').onDelete('cascade'))
    .addColumn('document_id', 'text', (c) => c.notNull().references('document.id').onDelete('cascade'))
    .addColumn('number', 'integer', (c) => c.notNull())
    .addColumn('blob_key', 'text', (c) => c.notNull())
    .addColumn('size', 'integer', (c) => c.notNull())
    .addColumn('filename', 'text', (c) => c.notNull())
    .addColumn('declared_mime', 'text')
    .addColumn('created_by', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('document_version_number_uq', ['document_id', 'number'])
    .execute();
  await db.schema.createIndex('document_version_blob_idx').on('document_version').column('blob_key').execute();

  await db.schema
    .createTable('document_page')
    .addColumn('org_id', 'text', (c) => c.notNull().references('org.id').onDelete('cascade'))
    .addColumn('document_id', 'text', (c) => c.notNull().references('document.id').onDelete('cascade'))
    .addColumn('version_id', 'text', (c) => c.notNull().references('document_version.id').onDelete('cascade'))
    .addColumn('number', 'integer', (c) => c.notNull())
    .addColumn('width', 'real')
    .addColumn('height', 'real')
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('text', 'text', (c) => c.notNull())
    .addColumn('confidence', 'real')
    .addColumn('rotation', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('words', 'text')
    .addColumn('preview_key', 'text')
    .addColumn('error', 'text')
    .addPrimaryKeyConstraint('document_page_pk', ['version_id', 'number'])
    .execute();
  await db.schema.createIndex('document_page_doc_idx').on('document_page').columns(['org_id', 'document_id']).execute();

  await db.schema
    .createTable('tag')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('org.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('tag_org_name_uq', ['org_id', 'name'])
    .execute();

  await db.schema
    .createTable('document_tag')
    .addColumn('org_id', 'text', (c) => c.notNull().references('org.id').onDelete('cascade'))
    .addColumn('document_id', 'text', (c) => c.notNull().references('document.id').onDelete('cascade'))
    .addColumn('tag_id', 'text', (c) => c.notNull().references('tag.id').onDelete('cascade'))
    .addPrimaryKeyConstraint('document_tag_pk', ['document_id', 'tag_id'])
    .execute();
  await db.schema.createIndex('document_tag_tag_idx').on('document_tag').columns(['org_id', 'tag_id']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ['document_tag', 'tag', 'document_page', 'document_version', 'document', 'folder']) {
    await db.schema.dropTable(t).ifExists().execute();
  }
}
