/** Test support (not exported): a course with every item kind the writer knows. */
import { writeMinimalPdf } from '../pdf/minimal-pdf';
import { CcCourse, CcQuestion } from '../commoncartridge/cc-types';

export const questions: CcQuestion[] = [
  {
    type: 'multiple-choice',
    title: 'Unité',
    text: '<p>Unité de la distance <b>année-lumière</b> ? <img src="{{ref:schema}}"/></p>',
    points: 2,
    choices: [
      { text: 'une durée', correct: false },
      { text: 'une distance', correct: true },
      { text: 'une vitesse', correct: false },
    ],
  },
  {
    type: 'multiple-response',
    text: 'Planètes telluriques ?',
    textType: 'text/plain',
    choices: [
      { text: 'Mars', textType: 'text/plain', correct: true },
      { text: 'Jupiter', textType: 'text/plain', correct: false },
      { text: 'Vénus', textType: 'text/plain', correct: true },
    ],
  },
  { type: 'true-false', text: 'La Lune est une planète.', textType: 'text/plain', answer: false },
  { type: 'fill-in-blank', text: 'La planète rouge est ___', textType: 'text/plain', answers: ['Mars', 'mars'], caseSensitive: false },
  { type: 'pattern-match', text: 'Citez une galaxie', textType: 'text/plain', patterns: ['Andromède'] },
  { type: 'essay', text: '<p>Expliquez la parallaxe.</p>' },
];

export const fullCourse: CcCourse = {
  identifier: 'ent-a:course:svt-1re',
  title: 'Physique — l\'Univers & <toi>',
  language: 'fr',
  description: 'Cours complet',
  updatedAt: '2025-10-01T08:00:00Z',
  sections: [
    {
      title: 'Chapitre 1',
      items: [
        { kind: 'page', key: 'intro', title: 'Introduction', html: '<p>Voir <a href="{{ref:schema}}">le schéma</a>, <a href="{{ref:wiki}}">le lien</a> et <a href="{{ref:cours}}#partie-2">la suite</a>.</p>' },
        { kind: 'file', key: 'schema', title: 'Schéma', fileName: 'schéma.png', mediaType: 'image/png', data: Buffer.from('89504e470d0a1a0a', 'hex') },
        {
          kind: 'folder',
          title: 'Pour aller plus loin',
          items: [
            { kind: 'link', key: 'wiki', title: 'Wikipédia', url: 'https://fr.wikipedia.org/wiki/Univers' },
            { kind: 'folder', title: 'Encore plus loin', items: [{ kind: 'page', key: 'cours', title: 'Cours', html: '<h2 id="partie-2">Partie 2</h2>' }] },
          ],
        },
        { kind: 'quiz', key: 'quiz', title: 'Évaluation', description: '<p>20 minutes</p>', maxAttempts: 2, timeLimitMinutes: 20, questions },
      ],
    },
    {
      title: 'Chapitre 2',
      items: [
        { kind: 'forum', key: 'forum', title: 'Questions', text: '<p>Posez vos questions, la fiche : <a href="{{ref:fiche}}">ici</a></p>', attachments: ['schema'] },
        { kind: 'lti', title: 'Simulateur', launchUrl: 'https://tool.example.org/launch', description: 'Outil', custom: { level: '1re' } },
        {
          kind: 'assignment',
          title: 'Devoir maison',
          text: '<p>Rédigez un compte rendu.</p>',
          gradable: true,
          pointsPossible: 20,
          submissionFormats: ['file', 'html'],
          attachments: ['fiche'],
        },
        { kind: 'alias', title: 'Introduction (rappel)', ref: 'intro' },
      ],
    },
    { title: 'Vide', items: [] },
  ],
  extraResources: [
    { kind: 'file', key: 'fiche', title: 'Fiche', fileName: 'fiche.pdf', mediaType: 'application/pdf', data: writeMinimalPdf('Fiche', ['Exercice']) },
    { kind: 'quiz', bank: true, title: 'Banque de questions', questions: questions.slice(0, 3) },
  ],
};

