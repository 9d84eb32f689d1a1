import { writeMinimalPdf, type CahierSession, type MboxMessage } from '@ent/formats';
import { cahierContent, contactsContent, courseContent, mailContent, pdfContent, SCOLOMFR_TERMS } from '../seed/builders';
import { withExtraItems } from '../seed/extra-items';
import { EntProfile, SeedContent } from './profile';

const ENT_ID = 'ent-a';

/** Paris local time in September–October 2025 is UTC+2. */
const paris = (isoLocal: string) => new Date(`${isoLocal}+02:00`);

const ficheDemarcheLines = [
  'Lycée de démonstration A (Paris) — Physique-Chimie, classe de 2nde',
  '',
  '1. Problématique : reformuler la question posée avec ses propres mots.',
  '2. Hypothèses : proposer une ou plusieurs réponses possibles, argumentées.',
  '3. Protocole : décrire les étapes, le matériel, les grandeurs mesurées',
  '   et les grandeurs maintenues constantes (une seule variable à la fois).',
  '4. Résultats : tableau de mesures avec unités, graphique légendé.',
  '5. Exploitation : comparer aux hypothèses, estimer les incertitudes.',
  '6. Conclusion : répondre à la problématique en une ou deux phrases.',
  '',
  'Vocabulaire : « mesurer », « estimer », « comparer », « valider ».',
  'Conseil : relire la consigne, puis vérifier les unités et les chiffres significatifs.',
];

function marieCahier(): CahierSession[] {
  const s = (
    n: number,
    start: string,
    end: string,
    summary: string,
    description: string,
    homework?: { due: string; text: string },
  ): CahierSession => ({
    uid: `ent-a-cdt-2nde3-seance-${n}@ent-a.ent-sim.invalid`,
    start: paris(start),
    end: paris(end),
    subject: 'Physique-Chimie',
    summary,
    description,
    homework: homework
      ? { uid: `ent-a-cdt-2nde3-travail-${n}@ent-a.ent-sim.invalid`, due: paris(homework.due), text: homework.text }
      : undefined,
  });
  return [
    s(1, '2025-09-02T08:00:00', '2025-09-02T09:00:00', 'Rentrée : présentation du programme et des règles de sécurité au laboratoire',
      'Présentation de l\'année, du cahier de textes et de l\'ENT.\nConsignes de sécurité : blouse en coton, lunettes, cheveux attachés.',
      { due: '2025-09-04T08:00:00', text: 'Faire signer la fiche sécurité ; couvrir le manuel.' }),
    s(2, '2025-09-04T08:00:00', '2025-09-04T09:30:00', 'Chapitre 1 — Décrire l\'Univers : ordres de grandeur',
      'Activité 1 : du noyau atomique aux galaxies ; puissances de 10, notation scientifique, chiffres significatifs.',
      { due: '2025-09-09T08:00:00', text: 'Exercices 5, 7 et 12 p. 24 ; apprendre le tableau des préfixes (nano, micro, milli, kilo, méga, giga).' }),
    s(3, '2025-09-09T08:00:00', '2025-09-09T09:00:00', 'Chapitre 1 — L\'année-lumière',
      'Cours : la vitesse de la lumière dans le vide, c = 3,00 × 10^8 m/s ; définition de l\'année-lumière.\nCorrection des exercices.'),
    s(4, '2025-09-11T10:00:00', '2025-09-11T12:00:00', 'TP — Mesurer une distance inaccessible par parallaxe',
      'TP en demi-groupe (salle B12) : visée, triangulation, calcul d\'incertitude.\nCompte rendu à rédiger selon la fiche méthode « démarche scientifique ».',
      { due: '2025-09-18T08:00:00', text: 'Rendre le compte rendu du TP parallaxe (une page, graphique inclus).' }),
    s(5, '2025-09-16T08:00:00', '2025-09-16T09:00:00', 'Chapitre 2 — La lumière, messagère des étoiles',
      'Spectres d\'émission et d\'absorption ; raies de l\'hydrogène ; composition chimique des étoiles.',
      { due: '2025-09-23T08:00:00', text: 'Lire le document « Les spectres » et répondre aux questions 1 à 4 ; réviser pour l\'évaluation.' }),
    s(6, '2025-09-23T08:00:00', '2025-09-23T09:00:00', 'Évaluation — Chapitres 1 et 2',
      'Évaluation écrite de 50 minutes. Calculatrice autorisée (mode examen).'),
  ];
}

function marieMail(): MboxMessage[] {
  const domain = 'ac-paris.fr';
  return [
    {
      from: `Élodie Girard <elodie.girard@${domain}>`,
      to: [`Marie Dupont <marie.dupont@${domain}>`],
      subject: 'Conseil pédagogique de rentrée — ordre du jour',
      date: paris('2025-08-29T10:12:00'),
      messageId: 'cp-rentree-2025@ent-a.ent-sim.invalid',
      text: 'Bonjour à toutes et à tous,\n\nLe conseil pédagogique se réunira le lundi 1er septembre à 14 h en salle polyvalente.\nOrdre du jour :\n- projet d\'établissement ;\n- évaluations communes de 2nde ;\n- sorties scolaires du premier trimestre.\n\nBien cordialement,\nÉlodie Girard, proviseure adjointe',
    },
    {
      from: `Lucas Moreau <lucas.moreau@${domain}>`,
      to: [`Marie Dupont <marie.dupont@${domain}>`],
      subject: 'TP parallaxe : matériel réservé',
      date: paris('2025-09-08T17:45:00'),
      messageId: 'tp-parallaxe-materiel@ent-a.ent-sim.invalid',
      text: 'Salut Marie,\n\nJ\'ai réservé les théodolites pour jeudi (salle B12). Il en manque deux, je les emprunte au labo de SVT.\nFrom my side everything is ready — dis-moi si tu veux qu\'on mutualise le barème.\n\nLucas',
    },
    {
      from: `Vie scolaire <vie.scolaire@${domain}>`,
      to: [`Équipe pédagogique 2nde 3 <equipe.2nde3@${domain}>`],
      subject: 'Absences et retards — semaine 37',
      date: paris('2025-09-12T16:30:00'),
      messageId: 'vs-semaine-37@ent-a.ent-sim.invalid',
      text: 'Bonjour,\n\nVeuillez trouver ci-dessous le relevé des absences de la 2nde 3 pour la semaine 37.\nMerci de signaler tout retard non justifié via l\'ENT.\n\nLa vie scolaire',
    },
    {
      from: `Inès Haddad <ines.haddad@${domain}>`,
      to: [`Marie Dupont <marie.dupont@${domain}>`],
      subject: 'Question sur l\'exercice 12 p. 24',
      date: paris('2025-09-08T19:02:00'),
      messageId: 'question-exo12@ent-a.ent-sim.invalid',
      text: 'Bonsoir Madame,\n\nDans l\'exercice 12, faut-il donner le résultat en mètres ou en années-lumière ?\nMerci d\'avance,\nInès (2nde 3)',
    },
    {
      from: `Thomas Lefèvre <thomas.lefevre@${domain}>`,
      to: [`Marie Dupont <marie.dupont@${domain}>`, `Lucas Moreau <lucas.moreau@${domain}>`],
      subject: 'Sortie au Palais de la découverte — autorisations',
      date: paris('2025-09-19T09:20:00'),
      messageId: 'sortie-palais@ent-a.ent-sim.invalid',
      text: 'Bonjour,\n\nLa sortie du 14 octobre est validée par la direction. Les autorisations parentales sont à rendre avant le 3 octobre.\nCoût : 8 € par élève, pris en charge par le foyer socio-éducatif.\n\nThomas Lefèvre, CPE',
    },
  ];
}

function lucasMail(): MboxMessage[] {
  const domain = 'ac-paris.fr';
  return [
    {
      from: `Marie Dupont <marie.dupont@${domain}>`,
      to: [`Lucas Moreau <lucas.moreau@${domain}>`],
      subject: 'Barème commun du TP parallaxe',
      date: paris('2025-09-09T18:20:00'),
      messageId: 'bareme-parallaxe@ent-a.ent-sim.invalid',
      text: 'Bonsoir Lucas,\n\nVoici ma proposition de barème : 4 points pour le protocole, 6 pour les mesures et l\'incertitude, 6 pour l\'exploitation, 4 pour la rédaction.\nOn en parle jeudi à la récréation ?\n\nMarie',
    },
    {
      from: `Françoise Roussel <francoise.roussel@${domain}>`,
      to: [`Lucas Moreau <lucas.moreau@${domain}>`],
      subject: 'Rendez-vous — suivi de Noé (1re 2)',
      date: paris('2025-10-03T12:05:00'),
      messageId: 'rdv-parents-noe@ent-a.ent-sim.invalid',
      text: 'Bonjour Monsieur Moreau,\n\nPourriez-vous nous recevoir la semaine prochaine au sujet des résultats de Noé en physique-chimie ?\nNous sommes disponibles le mardi après 17 h.\n\nCordialement,\nFrançoise Roussel',
    },
    {
      from: `Henri Lefebvre <henri.lefebvre@${domain}>`,
      to: [`Équipe pédagogique 1re 2 <equipe.1re2@${domain}>`],
      subject: 'Conseil de classe du 1er trimestre — calendrier',
      date: paris('2025-11-20T08:40:00'),
      messageId: 'conseils-t1@ent-a.ent-sim.invalid',
      text: 'Bonjour à toutes et à tous,\n\nLe conseil de classe de la 1re 2 aura lieu le jeudi 4 décembre à 17 h 30, salle du conseil.\nMerci de saisir vos appréciations avant le lundi 1er décembre.\n\nHenri Lefebvre, proviseur adjoint',
    },
  ];
}

/**
 * Lucas's address book as the ENT's webmail exports it (`contacts-csv`): colleagues, a parent, a
 * pupil, a personal list — and the columns of the ENT directory that vCard has no field for.
 */
const LUCAS_CONTACT_COLUMNS = [
  'Type', 'Prénom', 'Nom', 'Nom affiché', 'Courriel', 'Téléphone professionnel', 'Téléphone mobile', 'Organisation', 'Fonction',
  'Adresse', 'Code postal', 'Ville', 'Pays', 'Notes', 'Groupes', 'Membres', 'Profil ENT', 'Classes', 'Identifiant ENT',
];
const lucasContacts = (): Record<string, string>[] => {
  const lycee = 'Lycée de démonstration A, Paris';
  return [
    { Prénom: 'Marie', Nom: 'Dupont', Courriel: 'marie.dupont@ac-paris.fr', Organisation: lycee, Fonction: 'Professeure de physique-chimie', Groupes: 'Physique-Chimie; Labo', 'Profil ENT': 'Enseignant', 'Identifiant ENT': 'ENT-A-00412' },
    { Prénom: 'Élodie', Nom: 'Girard', Courriel: 'elodie.girard@ac-paris.fr', 'Téléphone professionnel': '+33 1 44 32 10 00', Organisation: lycee, Fonction: 'Proviseure adjointe', Adresse: '12, rue des Écoles', 'Code postal': '75005', Ville: 'Paris', Pays: 'France', Groupes: 'Direction', 'Profil ENT': 'Personnel de direction', 'Identifiant ENT': 'ENT-A-00007' },
    { Prénom: 'Françoise', Nom: 'Roussel', Courriel: 'francoise.roussel@orange.fr', 'Téléphone mobile': '06 71 23 45 89', Notes: 'Mère de Noé Roussel (1re 2) ; préfère être appelée après 17 h.\nRendez-vous du 7 octobre : « progrès en méthode ».', 'Profil ENT': 'Responsable légal', Classes: '1re 2', 'Identifiant ENT': 'ENT-A-20931' },
    { Prénom: 'Noé', Nom: 'Roussel', Courriel: 'noe.roussel@ent-a.ent-sim.invalid', 'Profil ENT': 'Élève', Classes: '1re 2', 'Identifiant ENT': 'ENT-A-20930' },
    { Prénom: 'Thomas', Nom: 'Lefèvre', Courriel: 'thomas.lefevre@ac-paris.fr', Organisation: lycee, Fonction: 'CPE', Groupes: 'Vie scolaire', 'Profil ENT': 'Vie scolaire' },
    { Type: 'Liste', 'Nom affiché': 'Labo physique-chimie', Courriel: 'labo.pc@ac-paris.fr', Membres: 'marie.dupont@ac-paris.fr; lucas.moreau@ac-paris.fr; karim.benali@ac-paris.fr', Notes: 'Réservations du matériel de TP' },
  ];
};

async function baseSeed(): Promise<SeedContent[]> {
  const fiche = pdfContent(ENT_ID, {
    id: 'ent-a-marie-fiche-demarche',
    ownerId: 'marie.dupont',
    title: 'Fiche méthode — Rédiger une démarche scientifique',
    updatedAt: '2025-09-05T16:20:00Z',
    lines: ficheDemarcheLines,
    scolomfr: {
      description:
        'Fiche méthode pour les élèves de 2nde : les six étapes d\'une démarche scientifique, de la problématique à la conclusion.',
      keywords: ['démarche scientifique', 'méthodologie', 'compte rendu de TP', 'physique-chimie'],
      author: 'Marie Dupont',
      learningResourceType: SCOLOMFR_TERMS.lrtMethodologie,
      educationalLevel: SCOLOMFR_TERMS.levelLyceeGT,
    },
  });
  const course = await courseContent(ENT_ID, 'ent-a-marie-cours-univers', 'marie.dupont', {
    title: 'Physique-Chimie 2nde — L\'univers',
    language: 'fr',
    description: 'Parcours du thème « L\'Univers » du programme de Physique-Chimie de seconde générale et technologique.',
    keywords: ['univers', 'ordres de grandeur', 'lumière', 'spectres'],
    author: 'Marie Dupont',
    updatedAt: '2025-09-20T18:00:00Z',
    sections: [
      {
        title: 'Chapitre 1 — Décrire l\'Univers : ordres de grandeur',
        items: [
          {
            kind: 'page',
            key: 'ch1-cours',
            title: 'Cours — Du noyau aux galaxies',
            html:
              '<h1>Du noyau aux galaxies</h1>\n<p>Les tailles des objets de l\'Univers s\'étendent sur plus de quarante ordres de grandeur : ' +
              'du noyau atomique (10<sup>-15</sup> m) à l\'Univers observable (10<sup>26</sup> m).</p>\n' +
              '<p>Avant le TP, relisez la <a href="{{ref:fiche-tp}}">fiche du TP parallaxe</a>, puis passez aux ' +
              '<a href="{{ref:ch1-exos}}">exercices</a>.</p>',
          },
          {
            kind: 'page',
            key: 'ch1-exos',
            title: 'Exercices — Puissances de 10 et année-lumière',
            html:
              '<ol>\n<li>Écrire en notation scientifique : 0,000 52 m ; 149 600 000 km.</li>\n' +
              '<li>Calculer la distance parcourue par la lumière en une année (c = 3,00 × 10<sup>8</sup> m/s).</li>\n' +
              '<li>Proxima du Centaure est à 4,24 a.l. : convertir en mètres.</li>\n</ol>',
          },
          {
            kind: 'file',
            key: 'fiche-tp',
            title: 'Fiche TP — Mesurer une distance par parallaxe',
            fileName: 'Fiche TP parallaxe.pdf',
            mediaType: 'application/pdf',
            data: writeMinimalPdf('TP — Mesurer une distance inaccessible par parallaxe', [
              'Objectif : déterminer la distance d\'un objet éloigné par triangulation.',
              'Matériel : théodolite, mètre ruban, calculatrice.',
              '1. Mesurer la base AB (au moins 10 m).',
              '2. Viser l\'objet depuis A puis depuis B ; relever les angles.',
              '3. Calculer la distance ; estimer l\'incertitude de mesure.',
            ]),
          },
          { kind: 'link', title: 'ESA — Les distances dans l\'Univers', url: 'https://www.esa.int/Space_in_Member_States/France' },
        ],
      },
      {
        title: 'Chapitre 2 — La lumière, messagère des étoiles',
        items: [
          {
            kind: 'page',
            title: 'Cours — Spectres d\'émission et d\'absorption',
            html:
              '<p>Un gaz chaud sous faible pression émet un spectre de raies ; chaque élément chimique a sa « signature ».</p>\n' +
              '<p>Les raies sombres du spectre solaire révèlent les éléments présents dans l\'atmosphère du Soleil.</p>',
          },
          { kind: 'link', title: 'Wikipédia — Spectroscopie', url: 'https://fr.wikipedia.org/wiki/Spectroscopie' },
        ],
      },
      {
        title: 'Échanges et évaluation',
        items: [
          {
            kind: 'forum',
            title: 'Forum — Questions sur le thème « L\'Univers »',
            text:
              '<p>Posez ici vos questions sur les chapitres 1 et 2. Pensez à relire la <a href="{{ref:fiche-tp}}">fiche du TP</a> ' +
              'avant de poster. Soyez précis : numéro d\'exercice, page, étape bloquante.</p>',
          },
        ],
      },
    ],
  });
  return [
    course,
    cahierContent('ent-a-marie-cdt-2nde3', 'marie.dupont', 'Cahier de textes 2nde 3 — 2025-2026', '2025-09-23T07:00:00Z', marieCahier()),
    fiche,
    mailContent('ent-a-marie-courrier', 'marie.dupont', 'Courrier — boîte de réception', marieMail()),
    pdfContent(ENT_ID, {
      id: 'ent-a-lucas-tp-titrage',
      ownerId: 'lucas.moreau',
      title: 'TP — Dosage par titrage colorimétrique',
      updatedAt: '2025-10-02T15:00:00Z',
      lines: [
        'Classe de 1re spécialité Physique-Chimie',
        'Objectif : déterminer la concentration d\'une solution de diiode par titrage.',
        'Réactif titrant : thiosulfate de sodium, c = 1,00 × 10^-2 mol/L.',
        'Repérer l\'équivalence par la décoloration de la solution (ajout d\'empois d\'amidon).',
      ],
    }),
    mailContent('ent-a-lucas-courrier', 'lucas.moreau', 'Courrier — boîte de réception', lucasMail()),
    contactsContent('ent-a-lucas-contacts', 'lucas.moreau', 'Carnet d’adresses', '2025-11-20T09:00:00Z', LUCAS_CONTACT_COLUMNS, lucasContacts()),
    await courseContent(ENT_ID, 'ent-a-lucas-cours-mouvement', 'lucas.moreau', {
      title: 'Physique-Chimie 2nde — Mouvement et interactions',
      language: 'fr',
      author: 'Lucas Moreau',
      updatedAt: '2025-10-06T17:30:00Z',
      sections: [
        {
          title: 'Décrire un mouvement',
          items: [
            { kind: 'page', title: 'Référentiel et trajectoire', html: '<p>Un mouvement se décrit toujours par rapport à un référentiel.</p>' },
            { kind: 'link', title: 'Simulation PhET — Mouvement', url: 'https://phet.colorado.edu/fr/' },
          ],
        },
      ],
    }),
    pdfContent(ENT_ID, {
      id: 'ent-a-claire-progression-lettres',
      ownerId: 'claire.bernard',
      title: 'Progression annuelle — Français 2nde',
      updatedAt: '2025-08-30T09:00:00Z',
      lines: [
        'Objet d\'étude 1 : la poésie du Moyen Âge au XVIIIe siècle.',
        'Objet d\'étude 2 : la littérature d\'idées et la presse du XIXe au XXIe siècle.',
        'Objet d\'étude 3 : le roman et le récit du XVIIIe au XXIe siècle.',
        'Objet d\'étude 4 : le théâtre du XVIIe au XXIe siècle.',
      ],
    }),
    // Henri Lefebvre, proviseur adjoint (PERDIR) until 31 August 2026, now at 0690002B: his own
    // administrative documents, which §8.3 lets a head teacher take along like a teacher.
    ...henriAdministrativeDocuments(),
    // Nathalie Petit, teacher here until 31 August 2026, now at 0690002B.
    pdfContent(ENT_ID, {
      id: 'ent-a-nathalie-sequence-photosynthese',
      ownerId: 'nathalie.petit',
      title: 'Séquence — La photosynthèse (SVT 2nde)',
      updatedAt: '2026-05-12T16:00:00Z',
      lines: [
        'Séance 1 : mise en évidence du dégagement de dioxygène (élodée, sonde à O2).',
        'Séance 2 : les pigments chlorophylliens, chromatographie sur papier.',
        'Séance 3 : bilan de la photosynthèse et cycle du carbone.',
        'Évaluation : compte rendu d’expérience, grille de compétences jointe.',
      ],
    }),
  ];
}

function henriAdministrativeDocuments(): SeedContent[] {
  const doc = (id: string, title: string, updatedAt: string, lines: string[]) =>
    pdfContent(ENT_ID, { id: `ent-a-henri-${id}`, ownerId: 'henri.lefebvre', title, updatedAt, lines });
  return [
    doc('projet-etablissement', 'Projet d’établissement 2024-2028 — Lycée de démonstration A', '2026-03-18T10:00:00Z', [
      'Axe 1 : faire réussir chaque élève (accompagnement personnalisé, devoirs faits, tutorat).',
      'Axe 2 : ouvrir le lycée sur son territoire (partenariats, orientation, Parcoursup).',
      'Axe 3 : un climat scolaire serein (prévention du harcèlement, éco-délégués).',
      'Indicateurs : taux de réussite au baccalauréat, taux de passage en 1re, absentéisme.',
    ]),
    doc('ca-juin-2026', 'Compte rendu du conseil d’administration du 24 juin 2026', '2026-06-26T15:30:00Z', [
      'Présents : 21 membres sur 24 ; quorum atteint.',
      '1. Approbation du procès-verbal de la séance du 19 mars 2026 : adopté à l’unanimité.',
      '2. Répartition de la dotation horaire globale 2026-2027 : adoptée (15 pour, 4 contre, 2 abstentions).',
      '3. Règlement intérieur, article 7 (usage des téléphones) : modification adoptée.',
      '4. Voyages scolaires 2026-2027 : Rome (latinistes), Berlin (germanistes) ; financements votés.',
    ]),
    doc('rentree-2026', 'Organisation de la rentrée 2026 — note de service', '2026-07-04T09:00:00Z', [
      'Pré-rentrée des personnels : lundi 31 août 2026, 9 h, salle polyvalente.',
      'Accueil des élèves de 2nde : mardi 1er septembre ; 1re et terminale : mercredi 2 septembre.',
      'Réunions parents-professeurs de 2nde : semaine du 14 septembre.',
      'Élection des représentants des élèves et des parents : vendredi 9 octobre 2026.',
    ]),
  ];
}

/** ENT A: a lycée in Paris. */
export const ENT_A: EntProfile = {
  entId: ENT_ID,
  uai: '0750001A',
  establishment: 'Lycée de démonstration A, Paris',
  categories: [
    { category: 'PARCOURS_PEDAGOGIQUE', imports: [{ format: 'imscc-1.1' }] },
    { category: 'STOCKAGE_PARTAGE', imports: [{ format: 'binary' }] },
    { category: 'COURRIER_ELECTRONIQUE', imports: [{ format: 'mbox' }] },
  ],
  refusedCategories: [],
  seed: withExtraItems(ENT_ID, baseSeed),
};
