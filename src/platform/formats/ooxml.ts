import { XMLParser } from 'fast-xml-parser';
import { FormatError } from './format-error';
import type { FormatLimits } from './format.types';
import { looksLikeZip, readZip, type ReadZipOptions } from './zip-reader';

/**
 * Shared plumbing of the DOCX/XLSX/PPTX extractors: open the package through the guarded
 * ZIP reader, parse its XML parts safely (no DTDs: OOXML never has one, and refusing them
 * shuts out entity-expansion attacks), and read the title from `docProps/core.xml`.
 */

/** A node of fast-xml-parser's ordered output: one element name → children, plus `:@` attributes. */
export type XmlNode = Record<string, unknown> & { ':@'?: Record<string, string> };

const CORE_PROPS = 'docProps/core.xml';

const LABEL: Record<string, string> = { docx: 'Word document', xlsx: 'Excel workbook', pptx: 'PowerPoint presentation' };

/**
 * Opens an OOXML package: the entries `want` selects, and `docProps/core.xml`. Input that is
 * not a ZIP is `corrupt` (or `encrypted` for a password-protected Office file).
 */
export function openPackage(
  bytes: Uint8Array,
  kind: 'docx' | 'xlsx' | 'pptx',
  limits: FormatLimits,
  opts: ReadZipOptions,
): Map<string, Uint8Array> {
  if (!looksLikeZip(bytes)) {
    if (isCfb(bytes)) {
      throw new FormatError('encrypted', `the ${LABEL[kind]} is password-protected or in a legacy format; save it as .${kind} without a password`);
    }
    throw new FormatError('corrupt', `the file is not a valid ${LABEL[kind]} (it is not a ZIP package)`);
  }
  return readZip(bytes, limits, {
    want: (name) => name === CORE_PROPS || opts.want(name),
    verifyAll: opts.verifyAll,
  });
}

/** Parses an XML part into fast-xml-parser's ordered node list. */
export function parseXmlOrdered(data: Uint8Array, part: string): XmlNode[] {
  const xml = new TextDecoder('utf-8').decode(data);
  if (/<!DOCTYPE|<!ENTITY/i.test(xml.slice(0, 4096))) {
    throw new FormatError('corrupt', `the document part ${part} declares a DTD, which Office files never do`);
  }
  try {
    return new XMLParser({
      preserveOrder: true,
      ignoreAttributes: false,
      attributeNamePrefix: '',
      parseTagValue: false,
      parseAttributeValue: false,
      trimValues: false,
      processEntities: true,
      htmlEntities: false,
    }).parse(xml) as XmlNode[];
  } catch (err) {
    throw new FormatError('corrupt', `the document part ${part} is damaged`, { cause: err });
  }
}

/** The element name of an ordered node. */
export function tagOf(node: XmlNode): string {
  for (const key of Object.keys(node)) if (key !== ':@') return key;
  return '';
}

/** The children of an ordered node (empty for text nodes). */
export function childrenOf(node: XmlNode): XmlNode[] {
  const value = node[tagOf(node)];
  return Array.isArray(value) ? (value as XmlNode[]) : [];
}

/** Depth-first search for the first element named `tag`. */
export function findElement(nodes: XmlNode[], tag: string): XmlNode | undefined {
  for (const node of nodes) {
    if (tagOf(node) === tag) return node;
    const found = findElement(childrenOf(node), tag);
    if (found) return found;
  }
  return undefined;
}

/** All text inside the nodes, concatenated. */
export function plainTextOf(nodes: XmlNode[]): string {
  let out = '';
  for (const node of nodes) {
    const tag = tagOf(node);
    if (tag === '#text') out += String(node['#text']);
    else out += plainTextOf(childrenOf(node));
  }
  return out;
}

/** `dc:title` from `docProps/core.xml`, when the package has one. */
export function coreTitle(parts: Map<string, Uint8Array>): string | undefined {
  const data = parts.get(CORE_PROPS);
  if (!data) return undefined;
  try {
    const title = findElement(parseXmlOrdered(data, CORE_PROPS), 'dc:title');
    const text = title ? plainTextOf(childrenOf(title)).replace(/\s+/g, ' ').trim() : '';
    return text || undefined;
  } catch {
    return undefined; // a damaged title is not worth failing the document for
  }
}

/** Compound File Binary: legacy .doc/.xls/.ppt, and the wrapper of password-protected OOXML. */
function isCfb(bytes: Uint8Array): boolean {
  const sig = [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1];
  return bytes.length >= 8 && sig.every((b, i) => bytes[i] === b);
}
