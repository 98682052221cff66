import { existsSync, readdirSync, readFileSync, writeFileSync, appendFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTestApp } from '../../../test/support/app';
import { DIALECTS } from '../../../test/support/db';
import { buildMember, buildOrg } from '../../../test/support/factories';
import { makePdf } from '../../../test/support/pdf';
import { ConsumeWatcher } from './consume';

for (const dialect of DIALECTS) {
  describe(`consume folder (${dialect})`, () => {
    const t = useTestApp(dialect, { config: { uploads: { maxBytes: 20_000 }, consume: { pollSeconds: 0 } } });

    /** A new organization with its consume folder created by a first scan. */
    async function setup() {
      const { org, ownerId } = await buildOrg(t().ctx);
      const watcher = new ConsumeWatcher(t().ctx);
      await watcher.scan();
      const dir = path.join(t().ctx.config.paths.consume, org.slug);
      const ls = (sub = '') => readdirSync(path.join(dir, sub), { withFileTypes: true }).filter((e) => e.isFile()).map((e) => e.name).sort();
      const docs = () => t().ctx.db.selectFrom('document').selectAll().where('org_id', '=', org.id).execute();
      return { org, ownerId, watcher, dir, ls, docs };
    }

    it('ingests a dropped file as the oldest owner, processes it, and moves it to processed/', async () => {
      const { org, ownerId, watcher, dir, ls, docs } = await setup();
      expect(existsSync(path.join(dir, 'processed'))).toBe(true);
      expect(existsSync(path.join(dir, 'failed'))).toBe(true);
      t().clock.advance(1000);
      await buildMember(t().ctx, org.id, 'owner'); // a newer owner: documents still belong to the first
      const pdf = makePdf([['Scanned letter from the tax office'], ['Second page of the letter']]);
      writeFileSync(path.join(dir, 'letter.pdf'), pdf);
      for (const ignored of ['.hidden.pdf', 'download.pdf.part', 'copy.tmp', '~$draft.docx']) writeFileSync(path.join(dir, ignored), 'not yet');
      await watcher.scan(); // first sight: waits to see the file unchanged
      expect(await docs()).toEqual([]);
      await watcher.scan();
      expect(ls('processed')).toEqual(['letter.pdf']);
      expect(ls()).toEqual(['.hidden.pdf', 'copy.tmp', 'download.pdf.part', '~$draft.docx']);
      expect(Buffer.from(readFileSync(path.join(dir, 'processed', 'letter.pdf'))).equals(Buffer.from(pdf))).toBe(true);
      const [doc] = await docs();
      expect(doc).toMatchObject({ name: 'letter.pdf', source: 'consume', owner_id: ownerId, status: 'queued' });
      const audit = await t().ctx.db.selectFrom('audit_event').selectAll().where('target_id', '=', doc.id).execute();
      expect(audit.map((a) => [a.action, a.actor_id])).toEqual([['document.uploaded', ownerId]]);
      await t().drainJobs();
      const [done] = await docs();
      expect(done).toMatchObject({ status: 'ready', page_count: 2, kind: 'pdf' });
      await watcher.scan();
      expect(await docs()).toHaveLength(1); // moved files are never taken again
    });

    it('moves empty and oversized files to failed/ with the reason beside them', async () => {
      const { watcher, dir, ls, docs } = await setup();
      writeFileSync(path.join(dir, 'empty.pdf'), '');
      writeFileSync(path.join(dir, 'huge.tiff'), Buffer.alloc(30_000, 7));
      await watcher.scan();
      await watcher.scan();
      expect(ls()).toEqual([]);
      expect(ls('failed')).toEqual(['empty.pdf', 'empty.pdf.error.txt', 'huge.tiff', 'huge.tiff.error.txt']);
      expect(readFileSync(path.join(dir, 'failed', 'empty.pdf.error.txt'), 'utf8')).toContain('The file is empty.');
      expect(readFileSync(path.join(dir, 'failed', 'huge.tiff.error.txt'), 'utf8')).toMatch(/30000 bytes, larger than the upload limit of 20000 bytes/);
      expect(readFileSync(path.join(dir, 'failed', 'huge.tiff')).length).toBe(30_000); // kept, never deleted
      expect(await docs()).toEqual([]);
    });

    it('waits for a file that is still growing between scans', async () => {
      const { watcher, dir, ls, docs } = await setup();
      const file = path.join(dir, 'notes.txt');
      writeFileSync(file, 'first half of the notes, ');
      await watcher.scan();
      appendFileSync(file, 'and the second half.');
      await watcher.scan();
      expect(ls()).toEqual(['notes.txt']);
      expect(await docs()).toEqual([]);
      await watcher.scan();
      expect(ls()).toEqual([]);
      const [doc] = await docs();
      expect(doc.size).toBe(Buffer.byteLength('first half of the notes, and the second half.'));
    });

    it('polls on its own once started, and stops cleanly', async () => {
      const { dir, ls, docs } = await setup();
      const ctx = t().ctx;
      const polling = new ConsumeWatcher({ ...ctx, config: { ...ctx.config, consume: { pollSeconds: 0.05 } } });
      writeFileSync(path.join(dir, 'memo.txt'), 'a memo dropped while Folio runs');
      polling.start();
      try {
        for (let i = 0; i < 100 && !ls('processed').includes('memo.txt'); i++) await new Promise((r) => setTimeout(r, 50));
      } finally {
        await polling.stop();
      }
      expect(ls('processed')).toEqual(['memo.txt']);
      expect((await docs()).map((d) => d.name)).toEqual(['memo.txt']);
    });

    it('gives a clashing name a numeric suffix in processed/ and failed/, keeping both files', async () => {
      const { watcher, dir, ls, docs } = await setup();
      writeFileSync(path.join(dir, 'processed', 'report.txt'), 'an earlier report');
      writeFileSync(path.join(dir, 'processed', 'report-1.txt'), 'another earlier report');
      writeFileSync(path.join(dir, 'failed', 'blank.txt'), '');
      writeFileSync(path.join(dir, 'failed', 'blank.txt.error.txt'), 'The file is empty.');
      writeFileSync(path.join(dir, 'report.txt'), 'the new report');
      writeFileSync(path.join(dir, 'blank.txt'), '');
      await watcher.scan();
      await watcher.scan();
      expect(ls('processed')).toEqual(['report-1.txt', 'report-2.txt', 'report.txt']);
      expect(readFileSync(path.join(dir, 'processed', 'report-2.txt'), 'utf8')).toBe('the new report');
      expect(readFileSync(path.join(dir, 'processed', 'report.txt'), 'utf8')).toBe('an earlier report');
      expect(ls('failed')).toEqual(['blank-1.txt', 'blank-1.txt.error.txt', 'blank.txt', 'blank.txt.error.txt']);
      expect((await docs()).map((d) => d.name)).toEqual(['report.txt']);
    });
  });
}
