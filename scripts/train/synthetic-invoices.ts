/**
 * Synthetic invoices for training and benchmarking the extractor: a seeded generator of
 * varied layouts in English, German, French, Spanish and Dutch, with currencies, number and
 * date formats of each locale, distractors (customer addresses, order and delivery dates,
 * customer numbers, line-item amounts), and ground truth for every invoice field. Each
 * invoice comes as pages of words and boxes (what the pipeline stores) and can be written
 * as a real PDF with `invoicePdf`.
 *
 *   node --import tsx scripts/train/synthetic-invoices.ts --seed 7 --count 3 --pdf out/
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ExtractionPage, PageWord } from '../../src/modules/extraction/candidates';
import { ibanCheckDigits, normalizeAmount, normalizeCurrency, normalizeDate, type DateOrder } from '../../src/modules/extraction/normalize';
import { textWidth, writePdf, type TextRun } from './pdf-writer';

/** A field's truth: the value as printed and normalized, or null when the invoice lacks it. */
export type Truth = Record<string, { value: string; normalized: string } | null>;

/** A line item's truth: description as printed, quantity, unit price and amount as decimal strings. */
export interface LineItemTruth {
  description: string;
  quantity: string;
  unitPrice: string;
  amount: string;
}

/** One generated invoice. */
export interface SyntheticInvoice {
  id: string;
  locale: string;
  pages: ExtractionPage[];
  runs: TextRun[][];
  truth: Truth;
  /** The rows of its line-item table, top to bottom. */
  lineItems: LineItemTruth[];
  dateOrder: DateOrder;
}

const PAGE_W = 595, PAGE_H = 842;

/** mulberry32: a small, fast, seedable PRNG. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Lang {
  title: string[];
  invno: string[];
  date: string[];
  due: string[];
  po: string[];
  custno: string[];
  orderDate: string[];
  delivery: string[];
  billTo: string[];
  from: string[];
  desc: string;
  qty: string;
  unit: string;
  amount: string;
  subtotal: string[];
  tax: string[];
  total: string[];
  iban: string[];
  bic: string;
  bank: string[];
  phone: string[];
  terms: string[];
  thanks: string[];
  currency: string[];
  page: string;
  months: string[];
  items: string[];
}

const LANGS: Record<string, Lang> = {
  en: {
    title: ['INVOICE', 'Invoice', 'TAX INVOICE', 'Commercial Invoice'], invno: ['Invoice No.', 'Invoice Number', 'Invoice #', 'Invoice no:', 'Inv. No.'],
    date: ['Invoice Date', 'Date', 'Date of issue', 'Issue date'], due: ['Due Date', 'Payment due', 'Due'], po: ['PO Number', 'Purchase Order', 'PO #', 'Your reference', 'Order No.'],
    custno: ['Customer No.', 'Customer ID', 'Account No.'], orderDate: ['Order Date'], delivery: ['Delivery Date', 'Ship Date'], billTo: ['Bill To', 'Billed To', 'Invoice To', 'Customer'],
    from: ['From'], desc: 'Description', qty: 'Qty', unit: 'Unit Price', amount: 'Amount', subtotal: ['Subtotal', 'Sub Total', 'Net Amount', 'Total before tax'],
    tax: ['VAT', 'Tax', 'Sales Tax', 'VAT'], total: ['Total', 'Total Due', 'Amount Due', 'Grand Total', 'Balance Due', 'TOTAL'], iban: ['IBAN'], bic: 'BIC', bank: ['Bank', 'Bank details', 'Payment details'],
    phone: ['Phone', 'Tel.'], terms: ['Payment within 30 days of the invoice date.', 'Please pay within 14 days.', 'Terms: Net 30'], thanks: ['Thank you for your business!', 'Thank you for your order.'],
    currency: ['Currency'], page: 'Page 1 of 1',
    months: ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'],
    items: ['Consulting services', 'Software license', 'Annual support plan', 'Website design', 'Hosting (12 months)', 'Office chairs', 'Printer paper A4', 'Training workshop', 'Travel expenses', 'Maintenance', 'Cloud storage', 'Project management'],
  },
  de: {
    title: ['RECHNUNG', 'Rechnung'], invno: ['Rechnungsnummer', 'Rechnung Nr.', 'Rechnungs-Nr.'], date: ['Rechnungsdatum', 'Datum'], due: ['Fällig am', 'Zahlbar bis', 'Fälligkeitsdatum'],
    po: ['Bestellnummer', 'Ihre Bestellung', 'Bestell-Nr.'], custno: ['Kundennummer', 'Kunden-Nr.'], orderDate: ['Bestelldatum'], delivery: ['Lieferdatum', 'Leistungsdatum'],
    billTo: ['Rechnungsempfänger', 'Rechnungsadresse', 'Kunde'], from: ['Lieferant'], desc: 'Beschreibung', qty: 'Menge', unit: 'Einzelpreis', amount: 'Betrag',
    subtotal: ['Zwischensumme', 'Nettobetrag', 'Summe netto'], tax: ['MwSt.', 'USt.', 'Umsatzsteuer'], total: ['Gesamtbetrag', 'Gesamt', 'Rechnungsbetrag', 'Summe'], iban: ['IBAN'], bic: 'BIC',
    bank: ['Bankverbindung'], phone: ['Tel.', 'Telefon'], terms: ['Zahlbar innerhalb von 14 Tagen ohne Abzug.', 'Bitte überweisen Sie den Betrag innerhalb von 30 Tagen.'],
    thanks: ['Vielen Dank für Ihren Auftrag!'], currency: ['Währung'], page: 'Seite 1 von 1',
    months: ['Januar', 'Februar', 'März', 'April', 'Mai', 'Juni', 'Juli', 'August', 'September', 'Oktober', 'November', 'Dezember'],
    items: ['Beratungsleistung', 'Softwarelizenz', 'Wartungsvertrag', 'Webdesign', 'Schulung', 'Büromaterial', 'Montage', 'Fahrtkosten', 'Hosting', 'Projektleitung'],
  },
  fr: {
    title: ['FACTURE', 'Facture'], invno: ['Facture N°', 'N° de facture', 'Numéro de facture'], date: ['Date de facture', 'Date', "Date d'émission"], due: ["Date d'échéance", 'Échéance', 'À payer avant'],
    po: ['Bon de commande', 'N° de commande', 'Votre référence'], custno: ['N° client', 'Code client'], orderDate: ['Date de commande'], delivery: ['Date de livraison'],
    billTo: ['Facturer à', 'Client', 'Adresse de facturation'], from: ['Fournisseur'], desc: 'Désignation', qty: 'Quantité', unit: 'Prix unitaire', amount: 'Montant',
    subtotal: ['Total HT', 'Sous-total', 'Montant HT'], tax: ['TVA', 'Montant TVA'], total: ['Total TTC', 'Net à payer', 'Montant total'], iban: ['IBAN'], bic: 'BIC',
    bank: ['Coordonnées bancaires', 'Banque'], phone: ['Tél.', 'Téléphone'], terms: ['Paiement à 30 jours.', 'Pénalités de retard : 3 fois le taux légal.'], thanks: ['Merci pour votre confiance.'],
    currency: ['Devise'], page: 'Page 1 sur 1',
    months: ['janvier', 'février', 'mars', 'avril', 'mai', 'juin', 'juillet', 'août', 'septembre', 'octobre', 'novembre', 'décembre'],
    items: ['Prestation de conseil', 'Licence logicielle', 'Maintenance annuelle', 'Création site web', 'Formation', 'Fournitures de bureau', 'Frais de déplacement', 'Hébergement'],
  },
  es: {
    title: ['FACTURA', 'Factura'], invno: ['Factura N°', 'Número de factura', 'N° factura'], date: ['Fecha de factura', 'Fecha', 'Fecha de emisión'], due: ['Fecha de vencimiento', 'Vencimiento'],
    po: ['N° de pedido', 'Pedido', 'Orden de compra', 'Su referencia'], custno: ['N° cliente', 'Código cliente'], orderDate: ['Fecha de pedido'], delivery: ['Fecha de entrega'],
    billTo: ['Facturar a', 'Cliente'], from: ['Proveedor'], desc: 'Descripción', qty: 'Cantidad', unit: 'Precio unitario', amount: 'Importe',
    subtotal: ['Base imponible', 'Subtotal'], tax: ['IVA', 'Cuota IVA'], total: ['Total', 'Importe total', 'Total factura', 'Total a pagar'], iban: ['IBAN'], bic: 'BIC',
    bank: ['Datos bancarios', 'Banco'], phone: ['Tel.', 'Teléfono'], terms: ['Pago a 30 días.', 'Forma de pago: transferencia bancaria.'], thanks: ['Gracias por su confianza.'],
    currency: ['Moneda'], page: 'Página 1 de 1',
    months: ['enero', 'febrero', 'marzo', 'abril', 'mayo', 'junio', 'julio', 'agosto', 'septiembre', 'octubre', 'noviembre', 'diciembre'],
    items: ['Servicios de consultoría', 'Licencia de software', 'Mantenimiento anual', 'Diseño web', 'Formación', 'Material de oficina', 'Gastos de viaje', 'Alojamiento web'],
  },
  nl: {
    title: ['FACTUUR', 'Factuur'], invno: ['Factuurnummer', 'Factuur nr.'], date: ['Factuurdatum', 'Datum'], due: ['Vervaldatum', 'Te betalen voor'], po: ['Inkoopnummer', 'Bestelnummer', 'Uw referentie'],
    custno: ['Klantnummer'], orderDate: ['Besteldatum'], delivery: ['Leverdatum'], billTo: ['Factuur aan', 'Klant', 'Factuuradres'], from: ['Leverancier'],
    desc: 'Omschrijving', qty: 'Aantal', unit: 'Prijs', amount: 'Bedrag', subtotal: ['Subtotaal', 'Totaal excl. btw'], tax: ['BTW', 'Btw'], total: ['Totaal', 'Te betalen', 'Totaal incl. btw'],
    iban: ['IBAN'], bic: 'BIC', bank: ['Bankgegevens', 'Rekening'], phone: ['Tel.', 'Telefoon'], terms: ['Betaling binnen 30 dagen.', 'Gelieve te betalen binnen 14 dagen.'],
    thanks: ['Bedankt voor uw opdracht.'], currency: ['Valuta'], page: 'Pagina 1 van 1',
    months: ['januari', 'februari', 'maart', 'april', 'mei', 'juni', 'juli', 'augustus', 'september', 'oktober', 'november', 'december'],
    items: ['Advieswerkzaamheden', 'Softwarelicentie', 'Onderhoud', 'Webontwerp', 'Training', 'Kantoorartikelen', 'Reiskosten', 'Hosting'],
  },
};

interface Locale {
  id: string;
  lang: keyof typeof LANGS;
  currency: string;
  symbol: string;
  /** Amount style. */
  num: 'en' | 'de' | 'fr' | 'ch';
  dateStyles: Array<'dmy/' | 'dmy.' | 'dmy-' | 'mdy/' | 'iso' | 'long' | 'mlong' | 'short'>;
  country: string | null;
  taxRates: number[];
  taxId: (r: () => number) => { label: string; value: string } | null;
  streets: string[];
  cities: string[];
  countryName: string;
}

const digits = (r: () => number, n: number) => Array.from({ length: n }, () => Math.floor(r() * 10)).join('');
const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];

const LOCALES: Locale[] = [
  { id: 'en-US', lang: 'en', currency: 'USD', symbol: '$', num: 'en', dateStyles: ['mdy/', 'mlong', 'iso'], country: null, taxRates: [0, 6, 7.25, 8.875], taxId: (r) => (r() < 0.6 ? { label: 'EIN', value: `${digits(r, 2)}-${digits(r, 7)}` } : null),
    streets: ['1200 Market Street', '455 Main St', '78 Oak Avenue', '9 Pine Road', '300 Lake Shore Blvd'], cities: ['San Francisco, CA 94103', 'Austin, TX 78701', 'Boston, MA 02110', 'Chicago, IL 60601', 'Denver, CO 80202'], countryName: 'USA' },
  { id: 'en-GB', lang: 'en', currency: 'GBP', symbol: '£', num: 'en', dateStyles: ['dmy/', 'long', 'short'], country: 'GB', taxRates: [20], taxId: (r) => ({ label: pick(r, ['VAT Reg No', 'VAT No', 'VAT Number']), value: `GB${digits(r, 9)}` }),
    streets: ['221 Baker Street', '10 Downing Lane', '45 High Street', '7 Victoria Road', '18 Kings Road'], cities: ['London NW1 6XE', 'Manchester M1 2AB', 'Leeds LS1 4DY', 'Bristol BS1 5TR', 'Oxford OX1 2JD'], countryName: 'United Kingdom' },
  { id: 'en-IE', lang: 'en', currency: 'EUR', symbol: '€', num: 'en', dateStyles: ['dmy/', 'long', 'iso'], country: 'IE', taxRates: [23, 13.5], taxId: (r) => ({ label: 'VAT No', value: `IE${digits(r, 7)}A` }),
    streets: ['12 Grafton Street', '5 Harbour Road', '33 Main Street'], cities: ['Dublin D02 X285', 'Cork T12 RT92', 'Galway H91 E2K0'], countryName: 'Ireland' },
  { id: 'de-DE', lang: 'de', currency: 'EUR', symbol: '€', num: 'de', dateStyles: ['dmy.', 'long', 'iso'], country: 'DE', taxRates: [19, 7], taxId: (r) => ({ label: pick(r, ['USt-IdNr.', 'USt-ID', 'Steuernummer']), value: `DE${digits(r, 9)}` }),
    streets: ['Hauptstraße 12', 'Lindenallee 5a', 'Bahnhofstr. 44', 'Am Markt 3', 'Gartenweg 17'], cities: ['10115 Berlin', '80331 München', '20095 Hamburg', '50667 Köln', '60311 Frankfurt am Main'], countryName: 'Deutschland' },
  { id: 'de-CH', lang: 'de', currency: 'CHF', symbol: 'CHF', num: 'ch', dateStyles: ['dmy.', 'long'], country: 'CH', taxRates: [8.1, 2.6], taxId: (r) => ({ label: pick(r, ['UID', 'MWST-Nr.']), value: `CHE-${digits(r, 3)}.${digits(r, 3)}.${digits(r, 3)}` }),
    streets: ['Bahnhofstrasse 5', 'Seestrasse 120', 'Marktgasse 9'], cities: ['8001 Zürich', '3011 Bern', '4051 Basel'], countryName: 'Schweiz' },
  { id: 'fr-FR', lang: 'fr', currency: 'EUR', symbol: '€', num: 'fr', dateStyles: ['dmy/', 'long'], country: 'FR', taxRates: [20, 10, 5.5], taxId: (r) => ({ label: pick(r, ['N° TVA', 'TVA intracom.', 'N° TVA intracommunautaire']), value: `FR${digits(r, 11)}` }),
    streets: ['12 rue de la Paix', '8 avenue Victor Hugo', '25 boulevard Voltaire', '3 place Bellecour'], cities: ['75002 Paris', '69002 Lyon', '13001 Marseille', '33000 Bordeaux'], countryName: 'France' },
  { id: 'es-ES', lang: 'es', currency: 'EUR', symbol: '€', num: 'de', dateStyles: ['dmy/', 'long', 'dmy-'], country: 'ES', taxRates: [21, 10], taxId: (r) => ({ label: pick(r, ['NIF', 'CIF', 'NIF/CIF']), value: `${pick(r, ['B', 'A', 'ESB'])}${digits(r, 8)}` }),
    streets: ['Calle Mayor 15', 'Avenida de América 32', 'Plaza España 4', 'Calle de Alcalá 100'], cities: ['28013 Madrid', '08002 Barcelona', '46002 Valencia', '41001 Sevilla'], countryName: 'España' },
  { id: 'nl-NL', lang: 'nl', currency: 'EUR', symbol: '€', num: 'de', dateStyles: ['dmy-', 'long', 'dmy/'], country: 'NL', taxRates: [21, 9], taxId: (r) => ({ label: pick(r, ['BTW-nummer', 'BTW nr.']), value: `NL${digits(r, 9)}B${digits(r, 2)}` }),
    streets: ['Keizersgracht 123', 'Damrak 45', 'Stationsplein 8', 'Coolsingel 40'], cities: ['1015 CJ Amsterdam', '3011 AD Rotterdam', '3511 AB Utrecht', '2511 BT Den Haag'], countryName: 'Nederland' },
];

const BBAN_LEN: Record<string, number> = { GB: 18, IE: 18, DE: 18, CH: 17, FR: 23, ES: 20, NL: 14 };
const NAME_A = ['Nordwind', 'Acme', 'Blue River', 'Helios', 'Vertex', 'Atlas', 'Lumen', 'Kestrel', 'Orion', 'Polar', 'Granite', 'Cedar', 'Summit', 'Alpen', 'Rhein', 'Iberia', 'Delta', 'Zenith', 'Nova', 'Pioneer', 'Quantum', 'Sterling', 'Harbor', 'Maple', 'Falcon', 'Silverline', 'Brightwater', 'Eichen', 'Sonnen', 'Mistral'];
const NAME_B = ['Consulting', 'Logistics', 'Software', 'Trading', 'Systems', 'Media', 'Foods', 'Technik', 'Bau', 'Solutions', 'Design', 'Werke', 'Services', 'Partners', 'Labs', 'Digital', 'Engineering', 'Supplies'];
const LEGAL: Record<string, string[]> = { 'en-US': ['Inc.', 'LLC', 'Corp.'], 'en-GB': ['Ltd', 'Ltd.', 'plc'], 'en-IE': ['Ltd', 'DAC'], 'de-DE': ['GmbH', 'AG', 'GmbH & Co. KG'], 'de-CH': ['AG', 'GmbH'], 'fr-FR': ['SARL', 'SAS', 'S.A.'], 'es-ES': ['S.L.', 'S.A.'], 'nl-NL': ['B.V.', 'N.V.'] };
const PEOPLE = ['Anna Schmidt', 'John Miller', 'Marie Dubois', 'Carlos García', 'Sophie de Vries', 'Peter Meier', 'Laura Rossi', 'Tom Becker', 'Emma Janssen', 'Lucas Martin'];

function companyName(r: () => number, loc: Locale): string {
  return `${pick(r, NAME_A)} ${pick(r, NAME_B)} ${pick(r, LEGAL[loc.id])}`;
}

function formatAmount(v: number, loc: Locale): string {
  const [int, dec] = v.toFixed(2).split('.');
  const group = (sep: string) => int.replace(/\B(?=(\d{3})+(?!\d))/g, sep);
  switch (loc.num) {
    case 'en':
      return `${group(',')}.${dec}`;
    case 'de':
      return `${group('.')},${dec}`;
    case 'fr':
      return `${group(' ')},${dec}`;
    case 'ch':
      return `${group("'")}.${dec}`;
  }
}

function formatDate(d: Date, loc: Locale, style: Locale['dateStyles'][number]): string {
  const dd = String(d.getUTCDate()).padStart(2, '0'), mm = String(d.getUTCMonth() + 1).padStart(2, '0'), y = d.getUTCFullYear();
  const months = LANGS[loc.lang].months;
  const month = months[d.getUTCMonth()];
  switch (style) {
    case 'dmy/':
      return `${dd}/${mm}/${y}`;
    case 'dmy.':
      return `${dd}.${mm}.${y}`;
    case 'dmy-':
      return `${dd}-${mm}-${y}`;
    case 'mdy/':
      return `${mm}/${dd}/${y}`;
    case 'iso':
      return `${y}-${mm}-${dd}`;
    case 'mlong':
      return `${month} ${d.getUTCDate()}, ${y}`;
    case 'short':
      return `${d.getUTCDate()} ${month.slice(0, 3)} ${y}`;
    case 'long':
      return loc.lang === 'de' ? `${d.getUTCDate()}. ${month} ${y}` : loc.lang === 'es' ? `${d.getUTCDate()} de ${month} de ${y}` : `${d.getUTCDate()} ${month} ${y}`;
  }
}

/** A page under construction: runs in points, with helpers for alignment. */
class Canvas {
  runs: TextRun[] = [];
  text(text: string, x: number, y: number, size = 9, bold = false) {
    this.runs.push({ text, x, y, size, bold });
  }
  right(text: string, xRight: number, y: number, size = 9, bold = false) {
    this.text(text, xRight - textWidth(text, size, bold), y, size, bold);
  }
}

/** Words and boxes (page-normalized) of runs, as a text layer would give them. */
export function wordsOfRuns(runs: TextRun[], width = PAGE_W, height = PAGE_H): PageWord[] {
  const words: PageWord[] = [];
  const round = (v: number) => Math.round(v * 10000) / 10000;
  for (const r of runs) {
    const re = /\S+/g;
    for (let m = re.exec(r.text); m; m = re.exec(r.text)) {
      const x = r.x + textWidth(r.text.slice(0, m.index), r.size, r.bold);
      const w = textWidth(m[0], r.size, r.bold);
      const top = r.y - r.size * 0.8;
      words.push({ t: m[0], b: [round(x / width), round(top / height), round(w / width), round((r.size * 1.0) / height)] });
    }
  }
  return words;
}

/** Generates `count` invoices from `seed`; the same seed always gives the same invoices. */
export function generateInvoices(seed: number, count: number): SyntheticInvoice[] {
  const r = rng(seed);
  return Array.from({ length: count }, (_, i) => generateInvoice(r, `syn-${seed}-${i}`));
}

function generateInvoice(r: () => number, id: string): SyntheticInvoice {
  const loc = pick(r, LOCALES);
  const L = LANGS[loc.lang];
  const c = new Canvas();
  const truth: Truth = {};
  const set = (name: string, value: string | null, normalized?: string | null) => {
    truth[name] = value === null ? null : { value, normalized: normalized ?? value };
  };
  const dateStyle = pick(r, loc.dateStyles);
  const order: DateOrder = dateStyle === 'mdy/' ? 'mdy' : 'dmy';
  const day0 = Date.UTC(2019, 0, 1) + Math.floor(r() * 2400) * 86_400_000;
  const invDate = new Date(day0);
  const dueDate = new Date(day0 + pick(r, [7, 14, 30, 45, 60]) * 86_400_000);
  const fmtDate = (d: Date) => formatDate(d, loc, dateStyle);
  const colon = r() < 0.7 ? ':' : '';

  // Parties.
  const vendor = companyName(r, loc);
  const vendorAddr = [pick(r, loc.streets), pick(r, loc.cities), ...(r() < 0.35 ? [loc.countryName] : [])];
  const customer = r() < 0.8 ? companyName(r, loc) : pick(r, PEOPLE);
  const customerAddr = [pick(r, loc.streets), pick(r, loc.cities)];
  const taxId = loc.taxId(r);
  const invNo = pick(r, [
    () => `INV-${invDate.getUTCFullYear()}-${digits(r, 4)}`, () => `RE-${digits(r, 5)}`, () => `${digits(r, 6)}`, () => `F${invDate.getUTCFullYear()}/${digits(r, 3)}`,
    () => `${pick(r, ['A', 'B', 'S'])}${digits(r, 7)}`, () => `${invDate.getUTCFullYear()}${digits(r, 4)}`, () => `FAC-${digits(r, 4)}`,
  ])();
  const po = r() < 0.55 ? pick(r, [() => `PO-${digits(r, 6)}`, () => `45${digits(r, 8)}`, () => `${digits(r, 5)}`, () => `ORD-${digits(r, 4)}`])() : null;
  const custNo = r() < 0.5 ? `${pick(r, ['K', 'C', ''])}${digits(r, 5)}` : null;
  let iban: string | null = null;
  if (loc.country && r() < 0.85) {
    const bban = digits(r, BBAN_LEN[loc.country] - (loc.country === 'GB' || loc.country === 'IE' || loc.country === 'NL' ? 4 : 0));
    const full = loc.country === 'GB' || loc.country === 'IE' || loc.country === 'NL' ? `${pick(r, loc.country === 'NL' ? ['INGB', 'ABNA', 'RABO'] : ['NWBK', 'BARC', 'AIBK'])}${bban}` : bban;
    iban = `${loc.country}${ibanCheckDigits(loc.country, full)}${full}`;
  }
  const ibanPrinted = iban ? (r() < 0.75 ? iban.replace(/(.{4})/g, '$1 ').trim() : iban) : null;

  // Amounts.
  const nItems = 1 + Math.floor(r() * 7);
  const items = Array.from({ length: nItems }, () => {
    const qty = 1 + Math.floor(r() * (r() < 0.5 ? 3 : 40));
    const unit = Math.round((r() < 0.3 ? 5 + r() * 60 : 20 + r() * 2500) * 100) / 100;
    return { desc: pick(r, L.items), qty, unit, amount: Math.round(qty * unit * 100) / 100 };
  });
  const subtotal = Math.round(items.reduce((n, it) => n + it.amount, 0) * 100) / 100;
  const rate = pick(r, loc.taxRates);
  const hasTax = rate > 0 && r() < 0.95;
  const tax = hasTax ? Math.round(subtotal * rate) / 100 : 0;
  const total = Math.round((subtotal + tax) * 100) / 100;
  const curStyle = pick(r, ['symbolBefore', 'codeAfter', 'codeBefore', 'plain', 'symbolAfter'] as const);
  const curMark = curStyle.startsWith('code') ? loc.currency : loc.symbol;
  const money = (v: number, withCur = true) => {
    const s = formatAmount(v, loc);
    if (!withCur || curStyle === 'plain') return s;
    if (curStyle === 'symbolBefore' || curStyle === 'codeBefore') return `${curMark}${curMark.length > 1 ? ' ' : ''}${s}`;
    return `${s} ${curMark}`;
  };
  const showCurrencyLine = curStyle === 'plain' || r() < 0.2;
  set('invoiceNumber', invNo);
  set('invoiceDate', fmtDate(invDate), normalizeDate(fmtDate(invDate), order));
  set('dueDate', null);
  set('vendorName', vendor);
  set('vendorAddress', vendorAddr.join(' '));
  set('vendorTaxId', taxId ? taxId.value : null);
  set('customerName', customer);
  set('poNumber', po);
  set('currency', showCurrencyLine && curStyle === 'plain' ? loc.currency : curMark, normalizeCurrency(curStyle === 'plain' ? loc.currency : curMark));
  set('subtotal', hasTax || r() < 0.5 ? formatAmount(subtotal, loc) : null, normalizeAmount(formatAmount(subtotal, loc)));
  set('tax', hasTax ? formatAmount(tax, loc) : null, normalizeAmount(formatAmount(tax, loc)));
  set('total', formatAmount(total, loc), normalizeAmount(formatAmount(total, loc)));
  set('iban', ibanPrinted, iban);

  // Header: vendor name and address, left, right or centred.
  const margin = 40 + Math.floor(r() * 25);
  const right = PAGE_W - margin;
  const headerSide = pick(r, ['left', 'left', 'right', 'centre'] as const);
  const nameSize = 13 + Math.floor(r() * 9);
  let y = 50 + Math.floor(r() * 25);
  const phoneLine = `${pick(r, L.phone)}${colon} +${digits(r, 2)} ${digits(r, 3)} ${digits(r, 4)}`;
  const email = `info@${vendor.split(' ')[0].toLowerCase()}.example`;
  const place = (text: string, size: number, bold = false) => {
    if (headerSide === 'left') c.text(text, margin, y, size, bold);
    else if (headerSide === 'right') c.right(text, right, y, size, bold);
    else c.text(text, (PAGE_W - textWidth(text, size, bold)) / 2, y, size, bold);
  };
  if (r() < 0.15) {
    place(`${pick(r, L.from)}:`, 9, true);
    y += 14;
  }
  place(vendor, nameSize, true);
  y += nameSize + 4;
  for (const line of vendorAddr) {
    place(line, 9);
    y += 12;
  }
  if (r() < 0.6) {
    y += r() < 0.5 ? 0 : 6;
    place(phoneLine, 9);
    y += 12;
    if (r() < 0.5) {
      place(email, 9);
      y += 12;
    }
  }
  const taxIdInHeader = taxId && r() < 0.5;
  if (taxIdInHeader) {
    place(`${taxId.label}${colon} ${taxId.value}`, 9);
    y += 12;
  }
  // Title.
  y += 18;
  const title = pick(r, L.title);
  const titleSize = 16 + Math.floor(r() * 10);
  if (headerSide === 'right' || r() < 0.5) c.text(title, margin, y, titleSize, true);
  else c.right(title, right, y, titleSize, true);
  y += titleSize + 10;

  // Bill-to block (left) and meta block (right) side by side.
  const top = y;
  const billLabel = pick(r, L.billTo);
  if (r() < 0.8) {
    c.text(`${billLabel}${colon}`, margin, y, 9, true);
    y += 13;
    c.text(customer, margin, y, 10);
  } else {
    c.text(`${billLabel}: ${''}`, margin, y, 9, true);
    c.text(customer, margin + textWidth(`${billLabel}: `, 9, true) + 6, y, 10);
  }
  y += 13;
  for (const line of customerAddr) {
    c.text(line, margin, y, 9);
    y += 12;
  }
  const billBottom = y;
  const meta: Array<[string, string, string | null]> = [[pick(r, L.invno), invNo, 'invoiceNumber'], [pick(r, L.date), fmtDate(invDate), 'invoiceDate']];
  if (r() < 0.8) {
    meta.push([pick(r, L.due), fmtDate(dueDate), 'dueDate']);
    set('dueDate', fmtDate(dueDate), normalizeDate(fmtDate(dueDate), order));
  }
  if (po) meta.push([pick(r, L.po), po, 'poNumber']);
  if (custNo) meta.push([pick(r, L.custno), custNo, null]);
  if (r() < 0.3) meta.push([pick(r, L.delivery), fmtDate(new Date(day0 - Math.floor(r() * 10) * 86_400_000)), null]);
  if (r() < 0.2) meta.push([pick(r, L.orderDate), fmtDate(new Date(day0 - Math.floor(5 + r() * 30) * 86_400_000)), null]);
  if (showCurrencyLine) meta.push([pick(r, L.currency), loc.currency, null]);
  for (let i = meta.length - 1; i > 1; i--) {
    const j = 1 + Math.floor(r() * i);
    [meta[i], meta[j]] = [meta[j], meta[i]];
  }
  const metaStyle = pick(r, ['columns', 'inline', 'grid'] as const);
  y = top;
  if (metaStyle === 'grid') {
    y = Math.max(billBottom, top) + 16;
    const colW = (right - margin) / meta.length;
    meta.forEach(([label, value], i) => {
      c.text(label, margin + i * colW, y, 8, true);
      c.text(value, margin + i * colW, y + 12, 9);
    });
    y += 30;
  } else {
    const labelX = margin + (right - margin) * (0.5 + r() * 0.1);
    for (const [label, value] of meta) {
      if (metaStyle === 'inline') c.right(`${label}${colon} ${value}`, right, y, 9);
      else {
        c.text(`${label}${colon}`, labelX, y, 9, r() < 0.5);
        if (r() < 0.5) c.right(value, right, y, 9);
        else c.text(value, labelX + 105, y, 9);
      }
      y += 13;
    }
    y = Math.max(y, billBottom) + 20;
  }

  // Line items.
  const cols = [margin, margin + (right - margin) * 0.55, margin + (right - margin) * 0.75, right];
  c.text(L.desc, cols[0], y, 9, true);
  c.right(L.qty, cols[1] + 30, y, 9, true);
  c.right(L.unit, cols[2] + 40, y, 9, true);
  c.right(L.amount, cols[3], y, 9, true);
  y += 16;
  for (const it of items) {
    c.text(it.desc, cols[0], y, 9);
    c.right(String(it.qty), cols[1] + 30, y, 9);
    c.right(money(it.unit, r() < 0.3), cols[2] + 40, y, 9);
    c.right(money(it.amount, r() < 0.3), cols[3], y, 9);
    y += 13;
  }
  y += 14;

  // Totals block.
  const tLabelX = margin + (right - margin) * (0.55 + r() * 0.1);
  const totals: Array<[string, string, boolean]> = [];
  if (truth.subtotal) totals.push([pick(r, L.subtotal), money(subtotal), false]);
  if (hasTax) {
    const tl = pick(r, L.tax);
    const rateText = `${String(rate).replace('.', loc.num === 'en' || loc.num === 'ch' ? '.' : ',')}%`;
    totals.push([r() < 0.7 ? `${tl} ${rateText}` : tl, money(tax), false]);
  }
  totals.push([pick(r, L.total), money(total), true]);
  for (const [label, value, strong] of totals) {
    c.text(`${label}${colon}`, tLabelX, y, strong ? 10 : 9, strong);
    c.right(value, right, y, strong ? 10 : 9, strong);
    y += strong ? 16 : 13;
  }
  y += 20;

  // Footer: terms, bank details, tax id.
  c.text(pick(r, L.terms), margin, y, 8);
  y += 14;
  if (r() < 0.5) {
    c.text(pick(r, L.thanks), margin, y, 8);
    y += 14;
  }
  const footY = Math.max(y + 20, 700 + Math.floor(r() * 60));
  let fy = footY;
  if (r() < 0.5) {
    c.text(vendor, margin, fy, 7);
    fy += 10;
    c.text(vendorAddr.join(', '), margin, fy, 7);
    fy += 10;
  }
  if (ibanPrinted) {
    const bankLine = r() < 0.5;
    if (bankLine) c.text(`${pick(r, L.bank)}${colon} ${pick(r, ['Commerzbank', 'BNP Paribas', 'ING', 'Barclays', 'Santander', 'UBS', 'Rabobank'])}`, margin, fy, 7);
    if (bankLine) fy += 10;
    c.text(`${pick(r, L.iban)}${colon} ${ibanPrinted}`, margin, fy, 7);
    c.text(`${L.bic}${colon} ${pick(r, ['COBADEFFXXX', 'BNPAFRPP', 'INGBNL2A', 'BARCGB22', 'BSCHESMM', 'UBSWCHZH80A'])}`, margin + 260, fy, 7);
    fy += 10;
  }
  if (taxId && !taxIdInHeader) {
    c.text(`${taxId.label}${colon} ${taxId.value}`, margin, fy, 7);
    fy += 10;
  }
  if (r() < 0.4) c.right(L.page, right, 820, 7);

  const runs = [c.runs];
  const lineItems = items.map((it) => ({ description: it.desc, quantity: String(it.qty), unitPrice: normalizeAmount(formatAmount(it.unit, loc))!, amount: normalizeAmount(formatAmount(it.amount, loc))! }));
  return { id, locale: loc.id, runs, pages: runs.map((p) => ({ words: wordsOfRuns(p) })), truth, lineItems, dateOrder: order };
}

/** A real PDF of a generated invoice (text layer with positions), for end-to-end runs. */
export function invoicePdf(inv: SyntheticInvoice): Uint8Array {
  return writePdf(inv.runs, PAGE_W, PAGE_H);
}

if (process.argv[1] && import.meta.url.endsWith(path.basename(process.argv[1]))) {
  const arg = (name: string, dflt: string) => {
    const i = process.argv.indexOf(`--${name}`);
    return i >= 0 ? process.argv[i + 1] : dflt;
  };
  const invoices = generateInvoices(Number(arg('seed', '1')), Number(arg('count', '3')));
  const outDir = arg('pdf', '');
  for (const inv of invoices) {
    if (outDir) {
      fs.mkdirSync(outDir, { recursive: true });
      fs.writeFileSync(path.join(outDir, `${inv.id}.pdf`), invoicePdf(inv));
      fs.writeFileSync(path.join(outDir, `${inv.id}.json`), JSON.stringify(inv.truth, null, 2));
    }
    console.log(inv.id, inv.locale, JSON.stringify(inv.truth));
  }
}
