/**
 * Trains the document classifier (invoice / receipt / other) and writes
 * models/classifier.onnx with its "classifier" entry in models/manifest.json (the other
 * entries are kept as they are).
 *
 *   node --import tsx scripts/train/train-classifier.ts [--invoices 900] [--others 900] [--out models/classifier.onnx]
 *
 * Data, all read from outside the repository and never copied into it:
 * - receipts: the SROIE training text (../shared/data/receipts/train_text, CC-BY-4.0) except
 *   the 50 that have images, which the benchmark reads through OCR;
 * - invoices: synthetic invoices (scripts/train/synthetic-invoices.ts, seed TRAIN_SEED);
 * - other: Cranfield abstracts (../shared/data/retrieval_cranfield) whose id is not a
 *   multiple of 5 (those are held out), wrapped into lines, and generated letters, e-mails,
 *   meeting minutes, contracts, reports with figures, recipes, itineraries, CVs and payment
 *   reminders in English, German, French, Spanish and Dutch (`generateOtherDocuments`).
 *
 * The model is a one-hidden-layer MLP over `classifierFeatures` (standardization folded
 * into the first layer) with a softmax output `probs` [N, 3]. Full-batch Adam with class
 * weights and a fixed seed: a re-run writes the same bytes.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLASSIFIER_FEATURE_COUNT, CLASSIFIER_FEATURES, CLASSIFIER_LABELS, classifierFeatures, documentText } from '../../src/modules/extraction/classify';
import { encodeModel, floatTensor, floatValueInfo, node } from './onnx-writer';
import { forward, type Net } from './ranker';
import { imageIndex, loadTrainText } from './sroie';
import { generateInvoices, rng } from './synthetic-invoices';
import { writeManifestEntry } from './train-extractor';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const receiptsDir = path.resolve(repoRoot, '../shared/data/receipts');
export const cranfieldFile = path.resolve(repoRoot, '../shared/data/retrieval_cranfield/corpus.jsonl');
/** Seeds of the training data; the benchmark uses others. */
export const TRAIN_SEED = 1001;
export const OTHER_TRAIN_SEED = 4004;

/** A labelled text. */
export interface TextDoc {
  id: string;
  label: (typeof CLASSIFIER_LABELS)[number];
  source: string;
  text: string;
}

// ---------------------------------------------------------------------------------------
// Generic documents ("other")

type Lang = 'en' | 'de' | 'fr' | 'es' | 'nl';
interface Prose {
  greet: string[];
  close: string[];
  body: string[];
  minutes: string[];
  minuteHeads: string[];
  contract: string[];
  contractTitle: string[];
  report: string[];
  metrics: string[];
  recipe: string[];
  ingredients: string[];
  steps: string[];
  trip: string[];
  reminder: string[];
  cv: string[];
  months: string[];
}

const PROSE: Record<Lang, Prose> = {
  en: {
    greet: ['Dear {name},', 'Hello {first},', 'Dear Sir or Madam,', 'Hi {first},'],
    close: ['Kind regards,', 'Best regards,', 'Yours sincerely,', 'Thanks,', 'Best wishes,'],
    body: [
      'Thank you for your letter of {date} regarding the new office in {city}.', 'We are pleased to confirm that the workshop will take place on {date}.',
      'As discussed on the phone, I am sending you the draft of the project plan.', 'Please let me know if the proposed schedule works for your team.',
      'The board has approved the budget of {amount} for the coming year.', 'Our team will be available for questions until the end of the month.',
      'I would like to apply for the position of project manager advertised on your website.', 'The building will be closed for maintenance from {date} to {date2}.',
      'We regret to inform you that the event has been postponed.', 'Attached you will find the minutes of our last meeting and the updated timeline.',
      'The results of the survey show a clear preference for flexible working hours.', 'Could you please send us the signed documents by {date}?',
      'The new software will be rolled out in three phases over the summer.', 'Parking spaces are available behind the main building.',
      'We look forward to welcoming you to our annual conference in {city}.', 'Should you have any questions, do not hesitate to contact me.',
    ],
    minuteHeads: ['Minutes of the {team} meeting', 'Meeting notes: {team}', 'Team meeting {date}'],
    minutes: ['Attendees: {names}', 'Agenda', '1. Review of last quarter', '2. Hiring plan', '3. Any other business', 'Action items', '- {first} to update the roadmap by {date}', '- Budget review postponed to next meeting', 'Decisions: the team agreed to move the release to {date}.', 'Next meeting: {date} at 10:00 in room {room}.'],
    contractTitle: ['SERVICE AGREEMENT', 'Lease Agreement', 'Non-Disclosure Agreement', 'Consulting Agreement'],
    contract: ['This Agreement is made on {date} between {org} ("the Company") and {name} ("the Contractor").', '1. Term. This Agreement shall commence on {date} and continue for twelve (12) months.', '2. Fees. The Company shall pay the Contractor a monthly fee of {amount}.', '3. Confidentiality. Each party shall keep the other party\'s information confidential.', '4. Termination. Either party may terminate this Agreement with thirty days written notice.', '5. Governing law. This Agreement is governed by the laws of {country}.', 'IN WITNESS WHEREOF the parties have signed this Agreement.', 'Signature: ____________________   Date: ____________'],
    report: ['Quarterly report {year}', 'Summary', 'Revenue grew by {pct} compared with the previous year, driven by strong demand in {city}.', 'Operating costs remained stable.', 'Outlook', 'We expect growth to continue in the second half of the year.'],
    metrics: ['Revenue', 'Operating costs', 'Headcount', 'Customer satisfaction', 'New customers', 'Website visits', 'Churn rate'],
    recipe: ['Apple pie', 'Tomato soup', 'Banana bread', 'Vegetable curry', 'Pancakes'],
    ingredients: ['200 g flour', '100 g butter', '2 eggs', '1 tsp salt', '500 ml milk', '3 apples', '1 onion', '2 tbsp olive oil', '400 g tomatoes', '50 g sugar'],
    steps: ['Preheat the oven to 180 °C.', 'Mix the flour and the butter in a large bowl.', 'Add the eggs one at a time and stir well.', 'Bake for 35 minutes until golden.', 'Serve warm with cream.', 'Chop the onion and fry it in the oil for five minutes.'],
    trip: ['Travel itinerary', 'Flight', 'Departure', 'Arrival', 'Hotel', 'Check-in', 'Check-out', 'Booking reference'],
    reminder: ['Payment reminder', 'According to our records, invoice {ref} dated {date} is still open.', 'If you have already paid, please disregard this letter.', 'Otherwise we kindly ask you to settle the amount within the next seven days.'],
    cv: ['Curriculum Vitae', 'Professional experience', 'Education', 'Skills', 'Languages', 'Project manager, {org}', 'Bachelor of Science, University of {city}'],
    months: ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'],
  },
  de: {
    greet: ['Sehr geehrte Damen und Herren,', 'Sehr geehrte Frau {last},', 'Liebe Kolleginnen und Kollegen,', 'Hallo {first},'],
    close: ['Mit freundlichen Grüßen', 'Freundliche Grüße', 'Viele Grüße', 'Beste Grüße'],
    body: [
      'vielen Dank für Ihr Schreiben vom {date} bezüglich des neuen Standorts in {city}.', 'Wir freuen uns, Ihnen mitteilen zu können, dass der Workshop am {date} stattfindet.',
      'Wie telefonisch besprochen, sende ich Ihnen den Entwurf des Projektplans.', 'Bitte teilen Sie mir mit, ob der vorgeschlagene Termin für Ihr Team passt.',
      'Der Vorstand hat das Budget von {amount} für das kommende Jahr genehmigt.', 'Das Gebäude ist vom {date} bis zum {date2} wegen Wartungsarbeiten geschlossen.',
      'Leider müssen wir Ihnen mitteilen, dass die Veranstaltung verschoben wurde.', 'Im Anhang finden Sie das Protokoll unserer letzten Sitzung.',
      'Die Ergebnisse der Umfrage zeigen eine klare Präferenz für flexible Arbeitszeiten.', 'Könnten Sie uns die unterschriebenen Unterlagen bis zum {date} zusenden?',
      'Die neue Software wird im Sommer in drei Phasen eingeführt.', 'Für Rückfragen stehe ich Ihnen gerne zur Verfügung.', 'Wir freuen uns auf Ihren Besuch in {city}.',
    ],
    minuteHeads: ['Protokoll der Teambesprechung', 'Besprechungsnotizen {team}', 'Protokoll vom {date}'],
    minutes: ['Teilnehmer: {names}', 'Tagesordnung', '1. Rückblick auf das letzte Quartal', '2. Personalplanung', '3. Verschiedenes', 'Aufgaben', '- {first} aktualisiert die Roadmap bis {date}', 'Beschluss: Das Team verschiebt die Veröffentlichung auf den {date}.', 'Nächste Besprechung: {date} um 10:00 Uhr, Raum {room}.'],
    contractTitle: ['DIENSTLEISTUNGSVERTRAG', 'Mietvertrag', 'Geheimhaltungsvereinbarung'],
    contract: ['Dieser Vertrag wird am {date} zwischen der {org} und {name} geschlossen.', '§ 1 Laufzeit. Der Vertrag beginnt am {date} und läuft zwölf Monate.', '§ 2 Vergütung. Die Auftraggeberin zahlt eine monatliche Vergütung von {amount}.', '§ 3 Vertraulichkeit. Die Parteien behandeln alle Informationen vertraulich.', '§ 4 Kündigung. Der Vertrag kann mit einer Frist von einem Monat gekündigt werden.', 'Ort, Datum: ____________   Unterschrift: ____________'],
    report: ['Quartalsbericht {year}', 'Zusammenfassung', 'Der Umsatz stieg im Vergleich zum Vorjahr um {pct}, getragen von der Nachfrage in {city}.', 'Die Betriebskosten blieben stabil.', 'Ausblick', 'Wir erwarten weiteres Wachstum im zweiten Halbjahr.'],
    metrics: ['Umsatz', 'Betriebskosten', 'Mitarbeitende', 'Kundenzufriedenheit', 'Neukunden', 'Websitebesuche'],
    recipe: ['Apfelkuchen', 'Tomatensuppe', 'Bananenbrot', 'Gemüsecurry'],
    ingredients: ['200 g Mehl', '100 g Butter', '2 Eier', '1 TL Salz', '500 ml Milch', '3 Äpfel', '1 Zwiebel', '2 EL Olivenöl', '50 g Zucker'],
    steps: ['Den Ofen auf 180 °C vorheizen.', 'Mehl und Butter in einer großen Schüssel verrühren.', 'Die Eier nacheinander unterrühren.', '35 Minuten goldbraun backen.', 'Warm mit Sahne servieren.'],
    trip: ['Reiseplan', 'Flug', 'Abflug', 'Ankunft', 'Hotel', 'Anreise', 'Abreise', 'Buchungsnummer'],
    reminder: ['Zahlungserinnerung', 'laut unserer Buchhaltung ist die Rechnung {ref} vom {date} noch offen.', 'Sollten Sie bereits bezahlt haben, betrachten Sie dieses Schreiben bitte als gegenstandslos.', 'Andernfalls bitten wir Sie, den Betrag innerhalb von sieben Tagen zu begleichen.'],
    cv: ['Lebenslauf', 'Berufserfahrung', 'Ausbildung', 'Kenntnisse', 'Sprachen', 'Projektleiterin, {org}', 'Studium der Informatik, Universität {city}'],
    months: ['Januar', 'Februar', 'März', 'April', 'Mai', 'Juni', 'Juli', 'August', 'September', 'Oktober', 'November', 'Dezember'],
  },
  fr: {
    greet: ['Madame, Monsieur,', 'Chère Madame {last},', 'Bonjour {first},', 'Cher collègue,'],
    close: ['Cordialement,', 'Bien cordialement,', 'Veuillez agréer mes salutations distinguées.', 'Bien à vous,'],
    body: [
      'Nous vous remercions pour votre courrier du {date} concernant le nouveau bureau de {city}.', 'Nous avons le plaisir de vous confirmer que l\'atelier aura lieu le {date}.',
      'Comme convenu par téléphone, je vous envoie le projet de planning.', 'Merci de me faire savoir si le calendrier proposé convient à votre équipe.',
      'Le conseil a approuvé un budget de {amount} pour l\'année prochaine.', 'Le bâtiment sera fermé pour travaux du {date} au {date2}.',
      'Nous avons le regret de vous informer que l\'événement est reporté.', 'Vous trouverez ci-joint le compte rendu de notre dernière réunion.',
      'Les résultats de l\'enquête montrent une nette préférence pour les horaires flexibles.', 'Pourriez-vous nous renvoyer les documents signés avant le {date} ?',
      'Je reste à votre disposition pour toute question.', 'Nous serons heureux de vous accueillir à {city}.',
    ],
    minuteHeads: ['Compte rendu de réunion', 'Réunion d\'équipe du {date}', 'Notes de réunion {team}'],
    minutes: ['Participants : {names}', 'Ordre du jour', '1. Bilan du trimestre', '2. Recrutements', '3. Questions diverses', 'Actions', '- {first} met à jour la feuille de route avant le {date}', 'Décision : la sortie est reportée au {date}.', 'Prochaine réunion : le {date} à 10h00, salle {room}.'],
    contractTitle: ['CONTRAT DE PRESTATION DE SERVICES', 'Contrat de bail', 'Accord de confidentialité'],
    contract: ['Le présent contrat est conclu le {date} entre {org} et {name}.', 'Article 1 – Durée. Le contrat prend effet le {date} pour une durée de douze mois.', 'Article 2 – Rémunération. La société verse au prestataire une rémunération mensuelle de {amount}.', 'Article 3 – Confidentialité. Les parties s\'engagent à garder confidentielles les informations échangées.', 'Article 4 – Résiliation. Chaque partie peut résilier le contrat avec un préavis d\'un mois.', 'Fait à {city}, le {date}.'],
    report: ['Rapport trimestriel {year}', 'Synthèse', 'Le chiffre d\'affaires a progressé de {pct} par rapport à l\'année précédente.', 'Les coûts d\'exploitation sont restés stables.', 'Perspectives', 'Nous prévoyons une croissance continue au second semestre.'],
    metrics: ['Chiffre d\'affaires', 'Coûts d\'exploitation', 'Effectif', 'Satisfaction client', 'Nouveaux clients'],
    recipe: ['Tarte aux pommes', 'Soupe de tomates', 'Crêpes', 'Curry de légumes'],
    ingredients: ['200 g de farine', '100 g de beurre', '2 œufs', '1 c. à café de sel', '50 cl de lait', '3 pommes', '1 oignon', '50 g de sucre'],
    steps: ['Préchauffer le four à 180 °C.', 'Mélanger la farine et le beurre dans un saladier.', 'Ajouter les œufs un par un.', 'Cuire 35 minutes jusqu\'à ce que la pâte soit dorée.', 'Servir tiède.'],
    trip: ['Itinéraire de voyage', 'Vol', 'Départ', 'Arrivée', 'Hôtel', 'Arrivée à l\'hôtel', 'Départ de l\'hôtel', 'Référence de réservation'],
    reminder: ['Relance de paiement', 'Sauf erreur de notre part, la facture {ref} du {date} reste impayée.', 'Si vous avez déjà effectué le règlement, merci de ne pas tenir compte de ce courrier.', 'Dans le cas contraire, nous vous prions de régler ce montant sous sept jours.'],
    cv: ['Curriculum vitae', 'Expérience professionnelle', 'Formation', 'Compétences', 'Langues', 'Chef de projet, {org}', 'Master en informatique, Université de {city}'],
    months: ['janvier', 'février', 'mars', 'avril', 'mai', 'juin', 'juillet', 'août', 'septembre', 'octobre', 'novembre', 'décembre'],
  },
  es: {
    greet: ['Estimados señores:', 'Estimada Sra. {last}:', 'Hola {first}:', 'Estimado colega:'],
    close: ['Atentamente,', 'Un saludo,', 'Saludos cordiales,', 'Reciba un cordial saludo.'],
    body: [
      'Le agradecemos su carta del {date} sobre la nueva oficina de {city}.', 'Nos complace confirmarle que el taller tendrá lugar el {date}.',
      'Como hablamos por teléfono, le envío el borrador del plan del proyecto.', 'Le ruego me indique si el calendario propuesto es adecuado para su equipo.',
      'La junta ha aprobado un presupuesto de {amount} para el próximo año.', 'El edificio permanecerá cerrado por mantenimiento del {date} al {date2}.',
      'Lamentamos informarle de que el evento se ha aplazado.', 'Adjunto encontrará el acta de nuestra última reunión.',
      'Los resultados de la encuesta muestran una clara preferencia por el horario flexible.', '¿Podría enviarnos los documentos firmados antes del {date}?',
      'Quedo a su disposición para cualquier consulta.', 'Será un placer recibirle en {city}.',
    ],
    minuteHeads: ['Acta de la reunión', 'Reunión de equipo del {date}', 'Notas de la reunión {team}'],
    minutes: ['Asistentes: {names}', 'Orden del día', '1. Revisión del trimestre', '2. Plan de contratación', '3. Ruegos y preguntas', 'Tareas', '- {first} actualizará la hoja de ruta antes del {date}', 'Acuerdo: se aplaza el lanzamiento al {date}.', 'Próxima reunión: {date} a las 10:00, sala {room}.'],
    contractTitle: ['CONTRATO DE PRESTACIÓN DE SERVICIOS', 'Contrato de arrendamiento', 'Acuerdo de confidencialidad'],
    contract: ['El presente contrato se celebra el {date} entre {org} y {name}.', 'Primera. Duración. El contrato entra en vigor el {date} por un periodo de doce meses.', 'Segunda. Honorarios. La empresa abonará al prestador unos honorarios mensuales de {amount}.', 'Tercera. Confidencialidad. Las partes mantendrán la confidencialidad de la información.', 'Cuarta. Resolución. Cualquiera de las partes podrá resolver el contrato con un mes de preaviso.', 'En {city}, a {date}.'],
    report: ['Informe trimestral {year}', 'Resumen', 'Las ventas crecieron un {pct} respecto al año anterior.', 'Los costes operativos se mantuvieron estables.', 'Perspectivas', 'Esperamos que el crecimiento continúe en el segundo semestre.'],
    metrics: ['Ventas', 'Costes operativos', 'Plantilla', 'Satisfacción del cliente', 'Nuevos clientes'],
    recipe: ['Tarta de manzana', 'Sopa de tomate', 'Tortilla de patatas', 'Curry de verduras'],
    ingredients: ['200 g de harina', '100 g de mantequilla', '2 huevos', '1 cucharadita de sal', '500 ml de leche', '4 patatas', '1 cebolla', '2 cucharadas de aceite de oliva'],
    steps: ['Precalentar el horno a 180 °C.', 'Mezclar la harina y la mantequilla en un bol grande.', 'Añadir los huevos uno a uno.', 'Hornear durante 35 minutos.', 'Servir templado.'],
    trip: ['Itinerario de viaje', 'Vuelo', 'Salida', 'Llegada', 'Hotel', 'Entrada', 'Salida del hotel', 'Localizador'],
    reminder: ['Recordatorio de pago', 'Según nuestros registros, la factura {ref} del {date} sigue pendiente.', 'Si ya ha realizado el pago, le rogamos que ignore esta carta.', 'En caso contrario, le pedimos que abone el importe en los próximos siete días.'],
    cv: ['Currículum vitae', 'Experiencia profesional', 'Formación', 'Habilidades', 'Idiomas', 'Jefa de proyecto, {org}', 'Grado en Informática, Universidad de {city}'],
    months: ['enero', 'febrero', 'marzo', 'abril', 'mayo', 'junio', 'julio', 'agosto', 'septiembre', 'octubre', 'noviembre', 'diciembre'],
  },
  nl: {
    greet: ['Geachte heer/mevrouw,', 'Geachte mevrouw {last},', 'Beste {first},', 'Hallo {first},'],
    close: ['Met vriendelijke groet,', 'Hartelijke groet,', 'Groeten,', 'Met vriendelijke groeten,'],
    body: [
      'Hartelijk dank voor uw brief van {date} over het nieuwe kantoor in {city}.', 'Met genoegen bevestigen wij dat de workshop plaatsvindt op {date}.',
      'Zoals telefonisch besproken stuur ik u het concept van de projectplanning.', 'Laat u mij weten of de voorgestelde planning uw team schikt?',
      'Het bestuur heeft een budget van {amount} voor volgend jaar goedgekeurd.', 'Het gebouw is van {date} tot {date2} gesloten wegens onderhoud.',
      'Helaas moeten wij u meedelen dat het evenement is uitgesteld.', 'In de bijlage vindt u de notulen van onze laatste vergadering.',
      'De resultaten van de enquête tonen een duidelijke voorkeur voor flexibele werktijden.', 'Kunt u ons de ondertekende documenten vóór {date} toesturen?',
      'Voor vragen ben ik uiteraard bereikbaar.', 'Wij verwelkomen u graag in {city}.',
    ],
    minuteHeads: ['Notulen van de teamvergadering', 'Vergadering {date}', 'Verslag overleg {team}'],
    minutes: ['Aanwezig: {names}', 'Agenda', '1. Terugblik op het kwartaal', '2. Wervingsplan', '3. Rondvraag', 'Actiepunten', '- {first} werkt de roadmap bij vóór {date}', 'Besluit: de release wordt verschoven naar {date}.', 'Volgende vergadering: {date} om 10:00 uur, zaal {room}.'],
    contractTitle: ['OVEREENKOMST VAN OPDRACHT', 'Huurovereenkomst', 'Geheimhoudingsovereenkomst'],
    contract: ['Deze overeenkomst wordt op {date} gesloten tussen {org} en {name}.', 'Artikel 1 Looptijd. De overeenkomst gaat in op {date} en loopt twaalf maanden.', 'Artikel 2 Vergoeding. De opdrachtgever betaalt een maandelijkse vergoeding van {amount}.', 'Artikel 3 Geheimhouding. Partijen behandelen alle informatie vertrouwelijk.', 'Artikel 4 Opzegging. Elke partij kan de overeenkomst opzeggen met een termijn van één maand.', 'Getekend te {city} op {date}.'],
    report: ['Kwartaalverslag {year}', 'Samenvatting', 'De omzet steeg met {pct} ten opzichte van vorig jaar.', 'De bedrijfskosten bleven stabiel.', 'Vooruitzichten', 'Wij verwachten verdere groei in het tweede halfjaar.'],
    metrics: ['Omzet', 'Bedrijfskosten', 'Medewerkers', 'Klanttevredenheid', 'Nieuwe klanten'],
    recipe: ['Appeltaart', 'Tomatensoep', 'Pannenkoeken', 'Groentecurry'],
    ingredients: ['200 g bloem', '100 g boter', '2 eieren', '1 tl zout', '500 ml melk', '3 appels', '1 ui', '50 g suiker'],
    steps: ['Verwarm de oven voor op 180 °C.', 'Meng de bloem en de boter in een grote kom.', 'Voeg de eieren een voor een toe.', 'Bak 35 minuten tot goudbruin.', 'Serveer warm.'],
    trip: ['Reisschema', 'Vlucht', 'Vertrek', 'Aankomst', 'Hotel', 'Inchecken', 'Uitchecken', 'Boekingsnummer'],
    reminder: ['Betalingsherinnering', 'Volgens onze administratie staat factuur {ref} van {date} nog open.', 'Heeft u inmiddels betaald, dan kunt u deze brief als niet verzonden beschouwen.', 'Zo niet, dan verzoeken wij u het bedrag binnen zeven dagen te voldoen.'],
    cv: ['Curriculum vitae', 'Werkervaring', 'Opleiding', 'Vaardigheden', 'Talen', 'Projectleider, {org}', 'Bachelor Informatica, Universiteit van {city}'],
    months: ['januari', 'februari', 'maart', 'april', 'mei', 'juni', 'juli', 'augustus', 'september', 'oktober', 'november', 'december'],
  },
};

const FIRST = ['Anna', 'John', 'Marie', 'Carlos', 'Sophie', 'Peter', 'Laura', 'Tom', 'Emma', 'Lucas', 'Noah', 'Julia', 'Ahmed', 'Mei', 'Olga'];
const LAST = ['Schmidt', 'Miller', 'Dubois', 'García', 'de Vries', 'Meier', 'Rossi', 'Becker', 'Janssen', 'Martin', 'Novak', 'Khan', 'Chen'];
const CITIES = ['London', 'Berlin', 'Paris', 'Madrid', 'Amsterdam', 'Zürich', 'Lyon', 'Hamburg', 'Valencia', 'Utrecht', 'Boston', 'Dublin'];
const ORGS = ['Nordwind GmbH', 'Acme Corp.', 'Helios SARL', 'Iberia Digital S.L.', 'Polar B.V.', 'Vertex Ltd', 'Atlas Systems AG'];
const TEAMS = ['Product', 'Marketing', 'Engineering', 'Finance', 'Sales', 'Operations'];

/** Generated non-financial documents in five languages, deterministic for a seed. */
export function generateOtherDocuments(seed: number, count: number): Array<{ id: string; kind: string; lang: Lang; text: string }> {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const langs: Lang[] = ['en', 'en', 'de', 'fr', 'es', 'nl'];
  const kinds = ['letter', 'email', 'minutes', 'contract', 'report', 'recipe', 'trip', 'reminder', 'cv', 'article', 'datasheet'];
  return Array.from({ length: count }, (_, i) => {
    const lang = pick(langs);
    const P = PROSE[lang];
    const kind = pick(kinds);
    const num = (v: number, dec = 2) => {
      const [a, b] = v.toFixed(dec).split('.');
      const g = lang === 'en' ? a.replace(/\B(?=(\d{3})+(?!\d))/g, ',') : a.replace(/\B(?=(\d{3})+(?!\d))/g, '.');
      return b ? `${g}${lang === 'en' ? '.' : ','}${b}` : g;
    };
    const date = () => {
      const d = 1 + Math.floor(r() * 28), m = Math.floor(r() * 12), y = 2015 + Math.floor(r() * 10);
      return pick([`${d} ${P.months[m]} ${y}`, `${String(d).padStart(2, '0')}.${String(m + 1).padStart(2, '0')}.${y}`, `${String(d).padStart(2, '0')}/${String(m + 1).padStart(2, '0')}/${y}`, `${y}-${String(m + 1).padStart(2, '0')}-${String(d).padStart(2, '0')}`]);
    };
    const fill = (s: string) =>
      s.replace(/\{(\w+)\}/g, (_, k: string) => {
        switch (k) {
          case 'name': return `${pick(FIRST)} ${pick(LAST)}`;
          case 'first': return pick(FIRST);
          case 'last': return pick(LAST);
          case 'names': return Array.from({ length: 2 + Math.floor(r() * 4) }, () => `${pick(FIRST)} ${pick(LAST)}`).join(', ');
          case 'date': case 'date2': return date();
          case 'city': return pick(CITIES);
          case 'org': return pick(ORGS);
          case 'team': return pick(TEAMS);
          case 'room': return String(100 + Math.floor(r() * 400));
          case 'amount': return pick([`${pick(['€', '$', '£', 'EUR ', 'CHF '])}${num(1000 + r() * 90000)}`, `${num(1000 + r() * 90000)} €`]);
          case 'pct': return `${num(r() * 25, 1)}%`;
          case 'year': return String(2015 + Math.floor(r() * 10));
          case 'ref': return `${pick(['INV-', 'RE-', 'F', ''])}${Math.floor(10000 + r() * 89999)}`;
          case 'country': return pick(['England and Wales', 'Germany', 'France', 'Spain', 'the Netherlands']);
          default: return k;
        }
      });
    const some = (xs: string[], lo: number, hi: number) => {
      const n = lo + Math.floor(r() * (hi - lo + 1));
      return Array.from({ length: n }, () => fill(pick(xs)));
    };
    const sender = [pick(ORGS), `${pick(['12', '5', '221', '48'])} ${pick(['Main Street', 'Hauptstraße', 'rue de la Paix', 'Calle Mayor', 'Damrak'])}`, pick(CITIES)];
    const lines: string[] = [];
    const sign = () => lines.push('', fill(pick(P.close)), `${pick(FIRST)} ${pick(LAST)}`, ...(r() < 0.5 ? [pick(ORGS)] : []));
    switch (kind) {
      case 'letter':
      case 'reminder':
        if (r() < 0.7) lines.push(...sender, '');
        lines.push(`${pick(CITIES)}, ${date()}`, '');
        if (kind === 'reminder') lines.push(fill(P.reminder[0]), '');
        lines.push(fill(pick(P.greet)), '');
        lines.push(...(kind === 'reminder' ? P.reminder.slice(1).map(fill) : some(P.body, 2, 6)));
        sign();
        break;
      case 'email':
        lines.push(`From: ${pick(FIRST)} ${pick(LAST)}`, `To: ${pick(FIRST)} ${pick(LAST)}`, `Subject: ${fill(pick(P.body)).slice(0, 40)}`, `Date: ${date()} ${10 + Math.floor(r() * 9)}:${String(Math.floor(r() * 60)).padStart(2, '0')}`, '', fill(pick(P.greet)), ...some(P.body, 1, 4));
        sign();
        break;
      case 'minutes':
        lines.push(fill(pick(P.minuteHeads)), date(), ...P.minutes.filter(() => r() < 0.85).map(fill), ...some(P.body, 0, 2));
        break;
      case 'contract':
        lines.push(pick(P.contractTitle), '', ...P.contract.filter(() => r() < 0.9).map(fill));
        break;
      case 'report': {
        const rep = P.report.map(fill);
        lines.push(rep[0], '', rep[1], rep[2], rep[3], '');
        const cols = ['Q1', 'Q2', 'Q3', 'Q4'];
        lines.push(`${' '.repeat(20)}${cols.join('   ')}`);
        for (const m of P.metrics.filter(() => r() < 0.7)) lines.push(`${m}   ${cols.map(() => (r() < 0.5 ? num(r() * 5000, r() < 0.5 ? 0 : 1) : `${num(r() * 100, 1)}%`)).join('   ')}`);
        lines.push('', rep[4], rep[5], ...some(P.body, 0, 2));
        break;
      }
      case 'recipe':
        lines.push(pick(P.recipe), `${2 + Math.floor(r() * 4)} ×`, '', ...P.ingredients.filter(() => r() < 0.6), '', ...P.steps.filter(() => r() < 0.8));
        break;
      case 'trip': {
        const [title, flight, dep, arr, hotel, cin, cout, ref] = P.trip;
        lines.push(title, `${pick(FIRST)} ${pick(LAST)}`, '');
        for (let k = 0; k < 1 + Math.floor(r() * 3); k++) {
          const t = () => `${String(6 + Math.floor(r() * 15)).padStart(2, '0')}:${pick(['00', '15', '30', '45', '05', '50'])}`;
          lines.push(`${flight} ${pick(['LH', 'AF', 'IB', 'KL', 'BA'])} ${100 + Math.floor(r() * 900)}   ${date()}`, `${dep}: ${pick(CITIES)} ${t()}   ${arr}: ${pick(CITIES)} ${t()}`);
        }
        lines.push('', `${hotel}: ${pick(['Hotel Central', 'Grand Hotel', 'Park Inn', 'Hotel Europa'])}, ${pick(CITIES)}`, `${cin}: ${date()}   ${cout}: ${date()}`, `${ref}: ${Math.floor(r() * 1e6).toString(36).toUpperCase()}`);
        break;
      }
      case 'cv':
        lines.push(P.cv[0], `${pick(FIRST)} ${pick(LAST)}`, `${pick(CITIES)} · +${Math.floor(10 + r() * 89)} ${Math.floor(1e6 + r() * 9e6)}`, '', P.cv[1], `${2010 + Math.floor(r() * 8)} – ${2018 + Math.floor(r() * 6)}  ${fill(P.cv[5])}`, ...some(P.body, 1, 2), '', P.cv[2], `${2005 + Math.floor(r() * 5)} – ${2009 + Math.floor(r() * 3)}  ${fill(P.cv[6])}`, '', P.cv[3], 'Excel, SQL, Python, TypeScript', P.cv[4], 'English, Deutsch, Français, Español');
        break;
      case 'datasheet': {
        // Measurements, settings or statistics: many decimals, no prices.
        const cols = 2 + Math.floor(r() * 6);
        const heads = ['Sample', 'Run', 'Test', 'Step', 'Point', 'Station', 'Probe', 'Level'];
        const units = ['mm', 'kg', '°C', 'kPa', 'V', 'Hz', 'ms', '%', ''];
        lines.push(`${pick(P.metrics)} – ${pick(heads)} ${pick(['A', 'B', 'C', '1', '2'])}`, ...(r() < 0.5 ? [fill(pick(P.body))] : []), Array.from({ length: cols }, () => `${pick(heads)} ${pick(units)}`.trim()).join('  '));
        const sep = r() < 0.5 ? '  ' : ', ';
        for (let k = 0; k < 8 + Math.floor(r() * 30); k++) lines.push(Array.from({ length: cols }, () => (r() < 0.3 ? `${pick(['A', 'B', 'C', 'x', 'y'])} = ` : '') + num(r() * (r() < 0.5 ? 1 : 500), 2)).join(sep));
        break;
      }
      default:
        lines.push(fill(pick(P.body)).replace(/[.,?]$/, ''), '', ...some(P.body, 4, 9), ...some(P.steps, 0, 1));
    }
    // Wrap long lines as a page would, at a width of this document's own.
    const width = 50 + Math.floor(r() * 50);
    const text = lines.flatMap((l) => wrap(l, width)).join('\n');
    return { id: `other-${seed}-${i}`, kind, lang, text };
  });
}

/** Splits a line into lines of at most `width` characters at spaces. */
export function wrap(line: string, width: number): string[] {
  const out: string[] = [];
  let cur = '';
  for (const w of line.split(' ')) {
    if (cur && cur.length + 1 + w.length > width) {
      out.push(cur);
      cur = w;
    } else cur = cur ? `${cur} ${w}` : w;
  }
  out.push(cur);
  return out;
}

// ---------------------------------------------------------------------------------------
// Data

/** Cranfield abstracts as page-like text: the title, then the abstract wrapped at 60–110 characters. */
export function loadCranfield(file: string, keep: (id: number) => boolean): TextDoc[] {
  const r = rng(77);
  return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim()).flatMap((line) => {
    const d = JSON.parse(line) as { _id: string; title: string; text: string };
    const width = 60 + Math.floor(r() * 50);
    if (!keep(Number(d._id))) return [];
    return [{ id: `cranfield-${d._id}`, label: 'other' as const, source: 'cranfield', text: [...wrap(d.title, width), '', ...wrap(d.text, width)].join('\n') }];
  });
}

/** The training documents: receipts (without the 50 with images), invoices and other texts. */
export function trainingDocuments(opts: { invoices: number; others: number; cranfieldEvery?: number }): TextDoc[] {
  const heldOut = new Set(imageIndex(receiptsDir).values());
  const receipts: TextDoc[] = loadTrainText(receiptsDir).filter((d) => !heldOut.has(d.id)).map((d) => ({ id: `sroie-${d.id}`, label: 'receipt', source: 'sroie', text: documentText(d.pages) }));
  const invoices: TextDoc[] = generateInvoices(TRAIN_SEED, opts.invoices).map((inv) => ({ id: inv.id, label: 'invoice', source: 'synthetic', text: documentText(inv.pages) }));
  const generated: TextDoc[] = generateOtherDocuments(OTHER_TRAIN_SEED, opts.others).map((d) => ({ id: d.id, label: 'other', source: `generated-${d.kind}`, text: d.text }));
  const every = opts.cranfieldEvery ?? 1;
  const cranfield = loadCranfield(cranfieldFile, (id) => id % 5 !== 0 && id % every === 0);
  return [...receipts, ...invoices, ...generated, ...cranfield];
}

// ---------------------------------------------------------------------------------------
// Training

export interface ClassifierTrainOptions {
  hidden: number;
  epochs: number;
  lr: number;
  weightDecay: number;
  seed: number;
}

export const CLASSIFIER_TRAIN: ClassifierTrainOptions = { hidden: 16, epochs: 300, lr: 0.01, weightDecay: 1e-3, seed: 20240601 };

/** Features of every document, row-major, and their class indexes. */
export function featurize(docs: readonly TextDoc[]): { x: Float32Array; y: Int32Array } {
  const x = new Float32Array(docs.length * CLASSIFIER_FEATURE_COUNT);
  const y = new Int32Array(docs.length);
  docs.forEach((d, i) => {
    x.set(classifierFeatures(d.text), i * CLASSIFIER_FEATURE_COUNT);
    y[i] = CLASSIFIER_LABELS.indexOf(d.label);
  });
  return { x, y };
}

/**
 * Trains features → hidden ReLU → 3 logits on standardized features with full-batch Adam,
 * cross-entropy weighted so each class counts alike, and L2 weight decay. Returns weights
 * for raw features (the standardization folded into the first layer).
 */
export function trainClassifier(x: Float32Array, y: Int32Array, opts: ClassifierTrainOptions = CLASSIFIER_TRAIN): Net {
  const F = CLASSIFIER_FEATURE_COUNT, H = opts.hidden, K = CLASSIFIER_LABELS.length, N = y.length;
  const mean = new Float64Array(F), std = new Float64Array(F);
  for (let n = 0; n < N; n++) for (let i = 0; i < F; i++) mean[i] += x[n * F + i] / N;
  for (let n = 0; n < N; n++) for (let i = 0; i < F; i++) std[i] += (x[n * F + i] - mean[i]) ** 2 / N;
  for (let i = 0; i < F; i++) std[i] = Math.sqrt(std[i]) || 1;
  const xs = new Float64Array(N * F);
  for (let n = 0; n < N; n++) for (let i = 0; i < F; i++) xs[n * F + i] = (x[n * F + i] - mean[i]) / std[i];
  const counts = new Float64Array(K);
  for (const c of y) counts[c]++;
  const cw = Array.from(counts, (c) => (c ? N / (K * c) : 0));
  const r = rng(opts.seed);
  const gauss = () => Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
  const params = [new Float64Array(F * H), new Float64Array(H), new Float64Array(H * K), new Float64Array(K)];
  const [w1, b1, w2, b2] = params;
  for (let i = 0; i < w1.length; i++) w1[i] = gauss() * Math.sqrt(2 / F);
  for (let i = 0; i < w2.length; i++) w2[i] = gauss() * Math.sqrt(2 / H);
  const m = params.map((p) => new Float64Array(p.length)), v = params.map((p) => new Float64Array(p.length));
  const grads = params.map((p) => new Float64Array(p.length));
  const h = new Float64Array(H), dh = new Float64Array(H), p = new Float64Array(K);
  for (let epoch = 1; epoch <= opts.epochs; epoch++) {
    grads.forEach((g) => g.fill(0));
    for (let n = 0; n < N; n++) {
      const row = n * F;
      for (let j = 0; j < H; j++) h[j] = b1[j];
      for (let i = 0; i < F; i++) {
        const xv = xs[row + i];
        if (xv === 0) continue;
        for (let j = 0; j < H; j++) h[j] += xv * w1[i * H + j];
      }
      for (let j = 0; j < H; j++) if (h[j] < 0) h[j] = 0;
      let mx = -Infinity;
      for (let k = 0; k < K; k++) {
        let s = b2[k];
        for (let j = 0; j < H; j++) s += h[j] * w2[j * K + k];
        p[k] = s;
        mx = Math.max(mx, s);
      }
      let z = 0;
      for (let k = 0; k < K; k++) z += (p[k] = Math.exp(p[k] - mx));
      const wgt = cw[y[n]] / N;
      dh.fill(0);
      for (let k = 0; k < K; k++) {
        const d = (p[k] / z - (k === y[n] ? 1 : 0)) * wgt;
        grads[3][k] += d;
        for (let j = 0; j < H; j++) {
          grads[2][j * K + k] += d * h[j];
          dh[j] += d * w2[j * K + k];
        }
      }
      for (let j = 0; j < H; j++) if (h[j] <= 0) dh[j] = 0;
      for (let j = 0; j < H; j++) grads[1][j] += dh[j];
      for (let i = 0; i < F; i++) {
        const xv = xs[row + i];
        if (xv === 0) continue;
        for (let j = 0; j < H; j++) grads[0][i * H + j] += xv * dh[j];
      }
    }
    // Adam with decoupled weight decay on the weight matrices.
    const b1c = 1 - 0.9 ** epoch, b2c = 1 - 0.999 ** epoch;
    params.forEach((prm, q) => {
      const g = grads[q];
      for (let i = 0; i < prm.length; i++) {
        m[q][i] = 0.9 * m[q][i] + 0.1 * g[i];
        v[q][i] = 0.999 * v[q][i] + 0.001 * g[i] * g[i];
        prm[i] -= opts.lr * ((m[q][i] / b1c) / (Math.sqrt(v[q][i] / b2c) + 1e-8) + (q % 2 === 0 ? opts.weightDecay * prm[i] : 0));
      }
    });
  }
  // Fold the standardization into the first layer.
  const fw1 = new Float32Array(F * H), fb1 = new Float32Array(H);
  for (let j = 0; j < H; j++) {
    let b = b1[j];
    for (let i = 0; i < F; i++) b -= (mean[i] / std[i]) * w1[i * H + j];
    fb1[j] = b;
  }
  for (let i = 0; i < F; i++) for (let j = 0; j < H; j++) fw1[i * H + j] = w1[i * H + j] / std[i];
  return { inDim: F, hidden: H, outDim: K, w1: fw1, b1: fb1, w2: Float32Array.from(w2), b2: Float32Array.from(b2) };
}

/** Class probabilities of `n` rows under `net`, in memory (for cross-validation). */
export function predictInMemory(net: Net, x: Float32Array, n: number): Float32Array {
  const logits = forward(net, x, n);
  const K = net.outDim;
  for (let r = 0; r < n; r++) {
    let mx = -Infinity, z = 0;
    for (let k = 0; k < K; k++) mx = Math.max(mx, logits[r * K + k]);
    for (let k = 0; k < K; k++) z += (logits[r * K + k] = Math.exp(logits[r * K + k] - mx));
    for (let k = 0; k < K; k++) logits[r * K + k] /= z;
  }
  return logits;
}

/** The ONNX bytes of the classifier: `features` [N, F] → MatMul/Add/Relu/MatMul/Add/Softmax → `probs` [N, 3]. */
export function buildClassifierOnnx(net: Net, meta: Record<string, string>): Uint8Array {
  return encodeModel(
    {
      name: 'folio_document_classifier',
      nodes: [
        node('MatMul', ['features', 'w1'], ['z1'], 'matmul1'),
        node('Add', ['z1', 'b1'], ['a1'], 'add1'),
        node('Relu', ['a1'], ['h'], 'relu'),
        node('MatMul', ['h', 'w2'], ['z2'], 'matmul2'),
        node('Add', ['z2', 'b2'], ['logits'], 'add2'),
        node('Softmax', ['logits'], ['probs'], 'softmax'),
      ],
      initializers: [floatTensor('w1', [net.inDim, net.hidden], net.w1), floatTensor('b1', [net.hidden], net.b1), floatTensor('w2', [net.hidden, net.outDim], net.w2), floatTensor('b2', [net.outDim], net.b2)],
      inputs: [floatValueInfo('features', ['documents', CLASSIFIER_FEATURE_COUNT])],
      outputs: [floatValueInfo('probs', ['documents', CLASSIFIER_LABELS.length])],
    },
    meta,
    'Folio document classifier: probabilities of invoice, receipt and other from text features.',
  );
}

async function main(): Promise<void> {
  const arg = (name: string, dflt: string) => {
    const i = process.argv.indexOf(`--${name}`);
    return i >= 0 ? process.argv[i + 1] : dflt;
  };
  const out = path.resolve(repoRoot, arg('out', 'models/classifier.onnx'));
  if (!fs.existsSync(receiptsDir) || !fs.existsSync(cranfieldFile)) {
    console.error(`The SROIE training text (${receiptsDir}) and the Cranfield corpus (${cranfieldFile}) are needed to train.`);
    process.exit(2);
  }
  const t0 = performance.now();
  const docs = trainingDocuments({ invoices: Number(arg('invoices', '900')), others: Number(arg('others', '900')) });
  const { x, y } = featurize(docs);
  const bySource = new Map<string, number>();
  for (const d of docs) bySource.set(`${d.label}:${d.source.replace(/-.*/, '')}`, (bySource.get(`${d.label}:${d.source.replace(/-.*/, '')}`) ?? 0) + 1);
  console.log(`featurized ${docs.length} documents (${[...bySource].map(([k, n]) => `${k} ${n}`).join(', ')}) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const net = trainClassifier(x, y);
  const probs = predictInMemory(net, x, y.length);
  let right = 0;
  for (let n = 0; n < y.length; n++) if ([0, 1, 2].reduce((a, b) => (probs[n * 3 + b] > probs[n * 3 + a] ? b : a)) === y[n]) right++;
  console.log(`trained in ${((performance.now() - t0) / 1000).toFixed(1)} s; training accuracy ${((100 * right) / y.length).toFixed(1)}%`);
  const bytes = buildClassifierOnnx(net, { 'folio.features': String(CLASSIFIER_FEATURE_COUNT) });
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, bytes);
  const sha256 = crypto.createHash('sha256').update(bytes).digest('hex');
  const count = (label: string, source?: string) => docs.filter((d) => d.label === label && (!source || d.source.startsWith(source))).length;
  writeManifestEntry(path.join(path.dirname(out), 'manifest.json'), {
    name: 'classifier',
    file: path.basename(out),
    sha256,
    bytes: bytes.length,
    task: 'document classification: invoice, receipt or other (custom types are matched by keywords outside the model)',
    format: 'ONNX IR 8, opset 13; MatMul/Add/Relu/Softmax',
    inputs: { features: ['documents', CLASSIFIER_FEATURE_COUNT] },
    outputs: { probs: ['documents', CLASSIFIER_LABELS.length] },
    labels: CLASSIFIER_LABELS,
    features: CLASSIFIER_FEATURES,
    architecture: `${CLASSIFIER_FEATURE_COUNT} → ${CLASSIFIER_TRAIN.hidden} ReLU → ${CLASSIFIER_LABELS.length} softmax; standardization folded into the first layer`,
    training: {
      script: 'scripts/train/train-classifier.ts',
      receipts: `SROIE 2019 train text (../shared/data/receipts/train_text): ${count('receipt')} receipts; the 50 with images are held out.`,
      invoices: `${count('invoice')} synthetic invoices, scripts/train/synthetic-invoices.ts seed ${TRAIN_SEED}`,
      other: `${count('other', 'cranfield')} Cranfield abstracts (ids not divisible by 5) and ${count('other', 'generated')} generated letters, e-mails, minutes, contracts, reports, recipes, itineraries, CVs and payment reminders (seed ${OTHER_TRAIN_SEED}; en/de/fr/es/nl)`,
      options: CLASSIFIER_TRAIN,
    },
    license: 'Model: trained by Folio. Receipt data: SROIE 2019 (Huang et al., ICDAR 2019), CC-BY-4.0. Cranfield collection: public research collection (BEIR redistribution). Synthetic invoices and generated documents: Folio.',
  });
  console.log(`wrote ${path.relative(repoRoot, out)}: ${bytes.length} bytes, sha256 ${sha256}`);
}

if (process.argv[1] && import.meta.url.endsWith(path.basename(process.argv[1]))) await main();
