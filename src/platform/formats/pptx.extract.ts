import { posix } from 'node:path';
import { FormatError, guard } from './format-error';
import type { ExtractedPage, ExtractedText, FormatLimits } from './format.types';
import { childrenOf, coreTitle, openPackage, parseXmlOrdered, plainTextOf, tagOf, type XmlNode } from './ooxml';
import { assertTextSize } from './paginate';

const SLIDE = /^ppt\/slides\/slide\d+\.xml$/;
const NOTES = /^ppt\/notesSlides\/notesSlide\d+\.xml$/;
const RELS = /^ppt\/(slides\/)?_rels\/[^/]+\.xml\.rels$/;

/**
 * Extracts a PowerPoint presentation: one page per slide in presentation order, with the
 * text of shapes and tables, the speaker notes after a "Notes:" line, and the slide title
 * as the page label.
 */
export async function extractPptx(bytes: Uint8Array, limits: FormatLimits): Promise<ExtractedText> {
  const parts = openPackage(bytes, 'pptx', limits, {
    want: (n) => SLIDE.test(n) || NOTES.test(n) || RELS.test(n) || n === 'ppt/presentation.xml',
  });
  return guard('the PowerPoint presentation could not be read', () => {
    const order = slideOrder(parts);
    if (order.length === 0) throw new FormatError('corrupt', 'the PowerPoint presentation has no slides');
    if (order.length > limits.maxPages) {
      throw new FormatError('limit_exceeded', `the presentation has ${order.length} slides; the limit is ${limits.maxPages}`);
    }
    const pages: ExtractedPage[] = [];
    let chars = 0;
    for (const path of order) {
      const nodes = parseXmlOrdered(parts.get(path)!, path);
      let text = shapeText(nodes);
      const notesPath = relatedPart(parts, path, '/notesSlide');
      const notes = notesPath && parts.has(notesPath) ? notesText(parseXmlOrdered(parts.get(notesPath)!, notesPath)) : '';
      if (notes) text += `\n\nNotes:\n${notes}`;
      chars += text.length;
      assertTextSize(chars, limits);
      const label = slideTitle(nodes);
      pages.push({ number: pages.length + 1, text, ...(label ? { label } : {}) });
    }
    const title = coreTitle(parts) ?? pages[0]?.label;
    return { pages, ...(title ? { title } : {}), meta: { slides: pages.length } };
  });
}

/** Slide part paths in the order of `p:sldIdLst`; by slide number when that list is unreadable. */
function slideOrder(parts: Map<string, Uint8Array>): string[] {
  const byNumber = [...parts.keys()]
    .filter((n) => SLIDE.test(n))
    .sort((a, b) => Number(/(\d+)\.xml$/.exec(a)![1]) - Number(/(\d+)\.xml$/.exec(b)![1]));
  const pres = parts.get('ppt/presentation.xml');
  if (!pres) return byNumber;
  const rels = new Map(relationships(parts, 'ppt/presentation.xml').map((r) => [r.id, r.target]));
  const ordered: string[] = [];
  const walk = (nodes: XmlNode[]) => {
    for (const node of nodes) {
      if (tagOf(node) === 'p:sldId') {
        const target = rels.get(node[':@']?.['r:id'] ?? '');
        if (target && parts.has(target)) ordered.push(target);
      } else walk(childrenOf(node));
    }
  };
  walk(parseXmlOrdered(pres, 'ppt/presentation.xml'));
  return ordered.length > 0 ? ordered : byNumber;
}

interface Relationship {
  id: string;
  type: string;
  target: string;
}

/** The relationships of `part` (from the `.rels` part beside it), targets resolved to part paths. */
function relationships(parts: Map<string, Uint8Array>, part: string): Relationship[] {
  const relsPath = posix.join(posix.dirname(part), '_rels', `${posix.basename(part)}.rels`);
  const data = parts.get(relsPath);
  if (!data) return [];
  const out: Relationship[] = [];
  const walk = (nodes: XmlNode[]) => {
    for (const node of nodes) {
      if (tagOf(node) === 'Relationship') {
        const a = node[':@'] ?? {};
        if (a.Id && a.Target && a.TargetMode !== 'External') {
          out.push({ id: a.Id, type: a.Type ?? '', target: posix.normalize(posix.join(posix.dirname(part), a.Target)) });
        }
      } else walk(childrenOf(node));
    }
  };
  walk(parseXmlOrdered(data, relsPath));
  return out;
}

function relatedPart(parts: Map<string, Uint8Array>, part: string, typeSuffix: string): string | undefined {
  return relationships(parts, part).find((r) => r.type.endsWith(typeSuffix))?.target;
}

/** Text of DrawingML paragraphs: runs joined, one line per paragraph, slide-number fields left out. */
function shapeText(nodes: XmlNode[]): string {
  const lines: string[] = [];
  let line = '';
  const walk = (list: XmlNode[]) => {
    for (const node of list) {
      const tag = tagOf(node);
      if (tag === 'a:t') line += plainTextOf(childrenOf(node));
      else if (tag === 'a:br') line += '\n';
      else if (tag === 'a:fld' && node[':@']?.type === 'slidenum') continue;
      else if (tag === 'a:p') {
        walk(childrenOf(node));
        lines.push(line);
        line = '';
      } else walk(childrenOf(node));
    }
  };
  walk(nodes);
  return lines
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** Notes text without the slide image and slide number placeholders. */
function notesText(nodes: XmlNode[]): string {
  const kept: XmlNode[] = [];
  const walk = (list: XmlNode[]) => {
    for (const node of list) {
      if (tagOf(node) === 'p:sp') {
        const ph = placeholderType(node);
        if (ph !== 'sldNum' && ph !== 'sldImg' && ph !== 'hdr' && ph !== 'ftr' && ph !== 'dt') kept.push(node);
      } else walk(childrenOf(node));
    }
  };
  walk(nodes);
  return shapeText(kept);
}

/** The text of the slide's title placeholder. */
function slideTitle(nodes: XmlNode[]): string | undefined {
  let title: string | undefined;
  const walk = (list: XmlNode[]) => {
    for (const node of list) {
      if (title) return;
      if (tagOf(node) === 'p:sp') {
        const ph = placeholderType(node);
        if (ph === 'title' || ph === 'ctrTitle') title = shapeText([node]).replace(/\s+/g, ' ').trim() || undefined;
      } else walk(childrenOf(node));
    }
  };
  walk(nodes);
  return title;
}

/** The `type` of a shape's `p:ph` placeholder ('body' when it has none), undefined when not a placeholder. */
function placeholderType(shape: XmlNode): string | undefined {
  let found: string | undefined;
  const walk = (list: XmlNode[]) => {
    for (const node of list) {
      if (found) return;
      if (tagOf(node) === 'p:ph') found = node[':@']?.type ?? 'body';
      else if (tagOf(node) !== 'p:txBody') walk(childrenOf(node));
    }
  };
  walk(childrenOf(shape));
  return found;
}
