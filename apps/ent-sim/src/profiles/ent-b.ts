import { courseContent, pdfContent, SCOLOMFR_TERMS } from '../seed/builders';
import { withExtraItems } from '../seed/extra-items';
import { EntProfile, SeedContent } from './profile';

const ENT_ID = 'ent-b';
const GiB = 1024 * 1024 * 1024;

async function baseSeed(): Promise<SeedContent[]> {
  return [
    await courseContent(ENT_ID, 'ent-b-paul-cours-xviiie', 'paul.martin', {
      title: 'Histoire 4e — Le XVIIIe siècle : expansions, Lumières et révolutions',
      language: 'fr',
      description: 'Thème 1 du programme d\'histoire de 4e (cycle 4).',
      keywords: ['Lumières', 'traite atlantique', 'Révolution française'],
      author: 'Paul Martin',
      updatedAt: '2025-10-10T16:00:00Z',
      sections: [
        {
          title: 'Chapitre 1 — Bourgeoisies marchandes, négoces internationaux et traites négrières',
          items: [
            {
              kind: 'page',
              key: 'ch1',
              title: 'Cours — Le commerce triangulaire',
              html:
                '<p>Au XVIIIe siècle, les ports de Nantes, Bordeaux et La Rochelle s\'enrichissent grâce au commerce ' +
                'atlantique et à la traite des esclaves.</p>\n<p>Voir aussi <a href="{{ref:ch2}}">l\'Europe des Lumières</a>.</p>',
            },
            { kind: 'link', title: 'Musée d\'histoire de Nantes — Mémorial', url: 'https://www.chateaunantes.fr/' },
          ],
        },
        {
          title: 'Chapitre 2 — L\'Europe des Lumières',
          items: [
            {
              kind: 'page',
              key: 'ch2',
              title: 'Cours — Les philosophes des Lumières',
              html: '<p>Montesquieu, Voltaire, Rousseau et Diderot critiquent l\'absolutisme et défendent la raison et la tolérance.</p>',
            },
            {
              kind: 'forum',
              title: 'Débat — « Les Lumières ont-elles changé le monde ? »',
              text: 'Donnez un argument et un exemple précis tirés du cours.',
              textType: 'text/plain',
            },
          ],
        },
      ],
    }),
    pdfContent(ENT_ID, {
      id: 'ent-b-paul-croquis-espaces',
      ownerId: 'paul.martin',
      title: 'Croquis — Les espaces productifs français',
      updatedAt: '2025-10-03T12:00:00Z',
      lines: [
        'Géographie 3e — Thème 1 : dynamiques territoriales de la France contemporaine.',
        'Légende : espaces industriels, agricoles, touristiques et de services ;',
        'axes de transport majeurs ; métropoles et leurs aires d\'influence.',
      ],
      scolomfr: {
        description: 'Fond de carte et légende organisée pour le croquis de synthèse de 3e.',
        keywords: ['croquis', 'espaces productifs', 'géographie'],
        author: 'Paul Martin',
        learningResourceType: SCOLOMFR_TERMS.lrtExercise,
        educationalLevel: SCOLOMFR_TERMS.level3e,
      },
    }),
  ];
}

/** ENT B: a collège in Lyon. */
export const ENT_B: EntProfile = {
  entId: ENT_ID,
  uai: '0690002B',
  establishment: 'Collège de démonstration B, Lyon',
  categories: [
    { category: 'PARCOURS_PEDAGOGIQUE', imports: [{ format: 'imscc-1.3' }, { format: 'imscc-1.1' }] },
    { category: 'STOCKAGE_PARTAGE', imports: [{ format: 'binary', mediaTypes: ['application/pdf', 'image/png', 'image/jpeg'] }] },
    { category: 'CAHIER_TEXTES', imports: [{ format: 'ical' }] },
  ],
  refusedCategories: ['GESTION_COMPETENCES'],
  maxItemBytes: 1 * GiB,
  seed: withExtraItems(ENT_ID, baseSeed),
};

