/**
 * Descriptors of the converters this library can run: same ids, formats,
 * costs and losses (codes and French messages) as `DEFAULT_CONVERTERS` of
 * libs/negotiation (`converters.spec.ts` checks they agree).
 */
import type { ConverterDescriptor, ConverterLoss } from '@ent/negotiation';
import { ICAL_TO_CC_LOSS } from '../icalendar/cahier';
import { LHEO_DOWNGRADE_LOSS } from '../lheo/lheo';
import { SCHEMAORG_TO_SCOLOMFR_LOSSES } from '../schemaorg/from-schemaorg';
import { SCOLOMFR_TO_SCHEMAORG_LOSSES } from '../schemaorg/to-schemaorg';

function descriptor(from: string, to: string, cost: number, losses: ConverterLoss[] = []): ConverterDescriptor {
  return Object.freeze({ id: `${from}-to-${to}`, from, to, cost, losses: Object.freeze(losses.map((l) => Object.freeze({ code: l.code, message: l.message }))) });
}

export const CC13_ASSIGNMENTS_DROPPED: ConverterLoss = {
  code: 'CC13_ASSIGNMENTS_DROPPED',
  message:
    'Les devoirs à rendre (fonction propre à Common Cartridge 1.3) ne sont pas repris : leurs consignes restent lisibles, mais les élèves ne pourront plus y déposer leur travail.',
};

export const CC12_CURRICULUM_STANDARDS_DROPPED: ConverterLoss = {
  code: 'CC12_CURRICULUM_STANDARDS_DROPPED',
  message: 'Les références aux programmes officiels associées aux ressources du cours ne sont pas conservées.',
};

export const CC_QUESTION_TYPES_DROPPED: ConverterLoss = {
  code: 'CC_QUESTION_TYPES_DROPPED',
  message:
    'Les questions d\'un type que Common Cartridge ne connaît pas (appariement, réponse numérique, questions à plusieurs blancs…) ne sont pas reprises ; les autres questions des mêmes tests le sont.',
};

export const CC_QUIZ_INTRO_DROPPED: ConverterLoss = {
  code: 'CC_QUIZ_INTRO_DROPPED',
  message: 'Le texte de présentation placé en tête d\'un test n\'est pas repris (Common Cartridge 1.1 n\'a pas d\'emplacement pour lui) ; ses questions le sont.',
};

export const CC_OUTLINE_COMPLETED: ConverterLoss = {
  code: 'CC_OUTLINE_COMPLETED',
  message:
    'Les ressources qui n\'étaient rangées dans aucune section du cours sont regroupées dans un dossier « Autres ressources » à la fin du cours, pour que Moodle et les autres plateformes les importent.',
};

export const CC_MOODLE_FORUM_TOPIC_AS_INTRO: ConverterLoss = {
  code: 'CC_MOODLE_FORUM_TOPIC_AS_INTRO',
  message:
    'Si votre nouvel ENT importe les cours dans Moodle : chaque forum y arrive sans message, le texte du sujet devenant la présentation du forum, et les fichiers liés depuis ce texte peuvent ne plus s\'ouvrir.',
};

export const CC_MOODLE_SECTION_TITLES: ConverterLoss = {
  code: 'CC_MOODLE_SECTION_TITLES',
  message:
    'Si votre nouvel ENT importe les cours dans Moodle : le titre de chaque section y devient le texte de présentation de la section, qui reçoit un nom par défaut (« Section 1 »…).',
};

/** What an address book loses on its way to vCard 4.0 (contacts-csv-to-vcard). */
export const CONTACTS_ENT_FIELDS_DROPPED: ConverterLoss = {
  code: 'CONTACTS_ENT_FIELDS_DROPPED',
  message:
    'Les informations propres à l\u2019annuaire de votre ENT (profil, classes, identifiant ENT…) ne sont pas reprises dans votre carnet d\u2019adresses : le format vCard n\u2019a pas de champ pour elles.',
};

export const CONTACTS_GROUPS_AS_CATEGORIES: ConverterLoss = {
  code: 'CONTACTS_GROUPS_AS_CATEGORIES',
  message:
    'Vos groupes de contacts deviennent des catégories attachées à chaque contact : votre nouvelle messagerie les présentera comme des étiquettes ou des groupes, selon ce qu\u2019elle sait faire.',
};

export const CONTACTS_LISTS_AS_GROUP_CARDS: ConverterLoss = {
  code: 'CONTACTS_LISTS_AS_GROUP_CARDS',
  message:
    'Vos listes de diffusion deviennent des fiches de groupe vCard avec l\u2019adresse de chaque membre ; certaines messageries n\u2019importent pas ces fiches, et les membres qui n\u2019avaient pas d\u2019adresse électronique ne sont pas repris.',
};

export const CONTACTS_EMPTY_ROWS_SKIPPED: ConverterLoss = {
  code: 'CONTACTS_EMPTY_ROWS_SKIPPED',
  message: 'Les lignes du carnet d\u2019adresses sans nom, organisation ni adresse électronique ne sont pas reprises.',
};

export const DESCRIPTORS = {
  imscc11To13: descriptor('imscc-1.1', 'imscc-1.3', 1),
  imscc13To11: descriptor('imscc-1.3', 'imscc-1.1', 2, [
    CC13_ASSIGNMENTS_DROPPED,
    CC12_CURRICULUM_STANDARDS_DROPPED,
    CC_QUESTION_TYPES_DROPPED,
    CC_QUIZ_INTRO_DROPPED,
    CC_OUTLINE_COMPLETED,
    CC_MOODLE_FORUM_TOPIC_AS_INTRO,
    CC_MOODLE_SECTION_TITLES,
  ]),
  mboxToEml: descriptor('mbox', 'eml', 1),
  emlToMbox: descriptor('eml', 'mbox', 1),
  contactsCsvToVcard: descriptor('contacts-csv', 'vcard', 1, [
    CONTACTS_ENT_FIELDS_DROPPED,
    CONTACTS_GROUPS_AS_CATEGORIES,
    CONTACTS_LISTS_AS_GROUP_CARDS,
    CONTACTS_EMPTY_ROWS_SKIPPED,
  ]),
  lheo22To23: descriptor('lheo-2.2', 'lheo-2.3', 1),
  lheo23To22: descriptor('lheo-2.3', 'lheo-2.2', 2, [LHEO_DOWNGRADE_LOSS]),
  icalToImscc13: descriptor('ical', 'imscc-1.3', 5, [ICAL_TO_CC_LOSS]),
  scolomfrToSchemaOrg: descriptor('scolomfr-3.1', 'schemaorg-jsonld', 2, [
    { code: 'SCOLOMFR_VOCABULARIES_APPROXIMATED', message: SCOLOMFR_TO_SCHEMAORG_LOSSES.SCOLOMFR_VOCABULARIES_APPROXIMATED },
    { code: 'SCOLOMFR_UNMAPPED_ELEMENTS_DROPPED', message: SCOLOMFR_TO_SCHEMAORG_LOSSES.SCOLOMFR_UNMAPPED_ELEMENTS_DROPPED },
  ]),
  // The crosswalk the other way: an arrival whose ENT takes ScoLOMFR records only still keeps a
  // resource's description when the departure has it in schema.org / LRMI only (§8.3 flow 4 indexes).
  schemaOrgToScolomfr: descriptor('schemaorg-jsonld', 'scolomfr-3.1', 2, [
    { code: 'SCHEMAORG_PROPERTIES_DROPPED', message: SCHEMAORG_TO_SCOLOMFR_LOSSES.SCHEMAORG_PROPERTIES_DROPPED },
    { code: 'SCHEMAORG_VALUES_NOT_IN_VOCABULARIES', message: SCHEMAORG_TO_SCOLOMFR_LOSSES.SCHEMAORG_VALUES_NOT_IN_VOCABULARIES },
    { code: 'SCHEMAORG_VALUES_APPROXIMATED', message: SCHEMAORG_TO_SCOLOMFR_LOSSES.SCHEMAORG_VALUES_APPROXIMATED },
  ]),
} as const;
